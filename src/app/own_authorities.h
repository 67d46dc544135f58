// The set of "host:port" authorities that name this server: each listener (with loopback
// aliases for wildcard and loopback hosts, and without the port for 443/80), plus configured
// public hosts. Used to recognise issuers this server wrote. Filled once after the listeners
// are bound; read-only afterwards (thread-safe).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "app/config.h"

namespace latchkey::app {

class OwnAuthorities {
 public:
  void Add(const ListenAddress& listener, uint16_t bound_port);
  void AddPublicHost(std::string_view host);
  bool Contains(std::string_view authority) const;

 private:
  void Insert(const std::string& host, uint16_t port, bool tls);
  std::set<std::string, std::less<>> names_;
};

}  // namespace latchkey::app
