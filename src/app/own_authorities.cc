#include "app/own_authorities.h"

#include <mutex>

#include "base/encoding.h"

namespace latchkey::app {

void OwnAuthorities::Insert(const std::string& host, uint16_t port, bool tls) {
  std::string h = AsciiLower(host);
  if (h.find(':') != std::string::npos && h.front() != '[') h = "[" + h + "]";
  names_.insert(h + ":" + std::to_string(port));
  // Clients omit the default port of the scheme.
  if ((tls && port == 443) || (!tls && port == 80)) names_.insert(h);
}

void OwnAuthorities::Add(const ListenAddress& listener, uint16_t bound_port) {
  const std::string& h = listener.host;
  if (h == "0.0.0.0" || h == "::" || h == "127.0.0.1" || h == "::1" || h == "localhost") {
    Insert("127.0.0.1", bound_port, listener.tls);
    Insert("localhost", bound_port, listener.tls);
    Insert("::1", bound_port, listener.tls);
  }
  Insert(h, bound_port, listener.tls);
}

void OwnAuthorities::AddPublicHost(std::string_view host) {
  std::unique_lock lock(public_mu_);
  public_.insert(AsciiLower(host));
}

void OwnAuthorities::SetPublicHosts(const std::vector<std::string>& hosts) {
  std::set<std::string, std::less<>> next;
  for (const auto& h : hosts) next.insert(AsciiLower(h));
  std::unique_lock lock(public_mu_);
  public_.swap(next);
}

bool OwnAuthorities::Contains(std::string_view authority) const {
  std::string lower = AsciiLower(authority);
  if (names_.find(lower) != names_.end()) return true;
  std::shared_lock lock(public_mu_);
  return lower == public_url_authority_ || public_.find(lower) != public_.end();
}

void OwnAuthorities::SetPublicUrl(std::string url) {
  std::string authority = AsciiLower(url.substr(url.find("://") + 3));
  // Clients omit the scheme's default port.
  if (url.starts_with("https://") && authority.ends_with(":443")) authority.resize(authority.size() - 4);
  if (url.starts_with("http://") && authority.ends_with(":80")) authority.resize(authority.size() - 3);
  std::unique_lock lock(public_mu_);
  public_url_ = std::move(url);
  public_url_authority_ = std::move(authority);
}

std::string OwnAuthorities::PublicUrl() const {
  std::shared_lock lock(public_mu_);
  return public_url_;
}

}  // namespace latchkey::app
