// The set of "host:port" authorities that name this server: each listener (with loopback
// aliases for wildcard and loopback hosts, and without the port for 443/80), plus configured
// public hosts. Used to recognise issuers this server wrote. Filled once after the listeners
// are bound; afterwards only the public hosts change (SIGHUP reload). Thread-safe after setup.
#pragma once

#include <cstdint>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "app/config.h"

namespace latchkey::app {

class OwnAuthorities {
 public:
  void Add(const ListenAddress& listener, uint16_t bound_port);
  void AddPublicHost(std::string_view host);
  // Replaces every public host (config reload); listener names stay.
  void SetPublicHosts(const std::vector<std::string>& hosts);
  bool Contains(std::string_view authority) const;
  // The one public URL ("https://host[:port]", no trailing slash); its authority is own too.
  void SetPublicUrl(std::string url);
  std::string PublicUrl() const;

 private:
  void Insert(const std::string& host, uint16_t port, bool tls);
  std::set<std::string, std::less<>> names_;  // listeners: fixed once serving
  mutable std::shared_mutex public_mu_;
  std::set<std::string, std::less<>> public_;
  std::string public_url_;
  std::string public_url_authority_;
};

}  // namespace latchkey::app
