// The one gate in front of every bearer-authenticated surface (the workspace API, Graph and
// ARM, forward-auth, introspection's caller) and its one failed-bearer throttle: a check of
// the token that fails counts against the remote address; while the address is locked out
// its failures are refused without being counted, audited or otherwise written, and a valid
// token from the same address (all clients behind one proxy share it) is never slowed.
// The composition root makes one and hands it to the identity provider and the workspace, so
// a failure on Graph and one on the workspace API count against the same budget. Thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "auth/bearer.h"
#include "auth/failure.h"
#include "auth/login_throttle.h"
#include "base/clock.h"

namespace latchkey::metrics {
class ServiceMetrics;
}

namespace latchkey::auth {

struct BearerGateOptions {
  int max_failures = 20;  // failed bearers per remote address before 429
  std::chrono::seconds window{60};
  std::chrono::seconds lockout{60};
  metrics::ServiceMetrics* metrics = nullptr;  // null: nothing counted
};

class BearerGate {
 public:
  BearerGate(const Clock& clock, BearerGateOptions options);

  // Parses the header (auth/bearer.h) and runs check(std::string_view token) -> Checked<T>.
  // On a denial: kThrottled if the address is locked out (nothing recorded), else the failure
  // is counted (off the I/O thread: http/offload.h), on_denied(token, denial) is called, and
  // kDenied returned. An outage is kUnavailable and is not counted.
  template <class T, class Check, class OnDenied>
  Gated<T> Admit(std::string_view authorization_header, std::string_view remote_address,
                 Check&& check, OnDenied&& on_denied) {
    Bearer bearer = ParseBearer(authorization_header);
    if (bearer.status != BearerStatus::kOk) return std::unexpected(NoCredential(bearer.status));
    Checked<T> checked = check(bearer.token);
    if (checked) return std::move(*checked);
    Denial& denial = checked.error();
    if (std::optional<Failure> refused = Refuse(denial, remote_address)) {
      return std::unexpected(std::move(*refused));
    }
    on_denied(bearer.token, denial);
    return std::unexpected(
        Failure{FailureKind::kDenied, denial.reason, std::move(denial.detail), {}});
  }
  template <class T, class Check>
  Gated<T> Admit(std::string_view authorization_header, std::string_view remote_address,
                 Check&& check) {
    return Admit<T>(authorization_header, remote_address, std::forward<Check>(check),
                    [](std::string_view, const Denial&) {});
  }

  const BearerGateOptions& options() const { return options_; }

 private:
  Failure NoCredential(BearerStatus status) const;
  // After a failed check: the failure to answer at once (an outage, a locked-out address,
  // or the attempt moving to the store pool), or nullopt once the denial has been counted.
  std::optional<Failure> Refuse(const Denial& denial, std::string_view remote_address);

  const BearerGateOptions options_;
  LoginThrottle throttle_;  // failed bearers per remote address (no client id)
};

}  // namespace latchkey::auth
