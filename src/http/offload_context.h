// The calls that code about to block makes (see http/offload.h for the whole design). A light
// header: no Asio, for the store wrapper, the authenticators and the identity provider.
#pragma once

namespace latchkey::http {

// On the fast path of an I/O thread: marks the request to be run again on the store pool
// and returns true (the caller returns without side effects). Elsewhere: false.
bool DeferToPool();
// True if the current fast-path attempt has been deferred (its errors are not worth a log).
bool Deferred();
// On a pool thread: true once the request being run is not going to be answered (its
// deadline has passed or its client has gone). Blocking calls then refuse to start.
bool Abandoned();
// True on a pool thread running a request: the run after a deferred fast-path attempt, which
// has already counted what it looked up (auth cache metrics count the attempt only).
bool OnPool();

// Sets the fast-path state of the calling thread for one handler call (internal).
class FastPathScope {
 public:
  explicit FastPathScope(bool enabled);
  ~FastPathScope();
  FastPathScope(const FastPathScope&) = delete;
  FastPathScope& operator=(const FastPathScope&) = delete;
  bool deferred() const;
};

}  // namespace latchkey::http
