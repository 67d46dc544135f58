#include "store/postgres/notification_listener.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#include <utility>

namespace latchkey::store::postgres {
namespace {

constexpr std::array<std::pair<ChangeKind, std::string_view>, 7> kKindNames = {{
    {ChangeKind::kPatDeleted, "pat_deleted"},
    {ChangeKind::kPrincipalChanged, "principal_changed"},
    {ChangeKind::kPermissionsChanged, "permissions_changed"},
    {ChangeKind::kConfChanged, "conf_changed"},
    {ChangeKind::kOAuthSecretDeleted, "oauth_secret_deleted"},
    {ChangeKind::kCredentialChanged, "credential_changed"},
    {ChangeKind::kSigningKeysChanged, "signing_keys_changed"},
}};

constexpr char kApplicationName[] = "latchkeyd-listener";
constexpr int kFirstBackoffMs = 50;
constexpr int kMaxBackoffMs = 2000;
// A silent session is pinged this often, so a dead one is noticed even without traffic.
constexpr int kIdlePingMs = 10000;
constexpr size_t kMaxIdentifierBytes = 63;  // NAMEDATALEN - 1

}  // namespace

std::string EncodeChange(const Change& change) {
  for (const auto& [kind, name] : kKindNames) {
    if (kind == change.kind) return std::string(name) + ":" + change.id;
  }
  return ":" + change.id;
}

std::optional<Change> DecodeChange(std::string_view payload) {
  size_t colon = payload.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view name = payload.substr(0, colon);
  for (const auto& [kind, known] : kKindNames) {
    if (known == name) return Change{kind, std::string(payload.substr(colon + 1))};
  }
  return std::nullopt;
}

std::string ChannelForSchema(std::string_view schema) {
  std::string channel = "latchkey_changes";
  if (schema.empty() || schema == "public") return channel;
  channel += "_";
  channel += schema;
  if (channel.size() > kMaxIdentifierBytes) channel.resize(kMaxIdentifierBytes);
  return channel;
}

NotificationListener::NotificationListener(const ConnectionConfig& config, std::string channel,
                                           Callbacks callbacks)
    : config_(config), channel_(std::move(channel)), callbacks_(std::move(callbacks)) {
  LATCHKEY_CHECK(::pipe2(stop_pipe_, O_CLOEXEC | O_NONBLOCK) == 0);
  thread_ = std::thread([this] { Run(); });
}

NotificationListener::~NotificationListener() {
  char byte = 1;
  (void)!::write(stop_pipe_[1], &byte, 1);
  thread_.join();
  ::close(stop_pipe_[0]);
  ::close(stop_pipe_[1]);
}

bool NotificationListener::Ready() const {
  std::lock_guard lock(mu_);
  return listening_;
}

bool NotificationListener::WaitUntilReady(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return listening_changed_.wait_for(lock, timeout, [this] { return listening_; });
}

void NotificationListener::SetListening(bool listening) {
  {
    std::lock_guard lock(mu_);
    listening_ = listening;
  }
  listening_changed_.notify_all();
}

void NotificationListener::Run() {
  int backoff_ms = kFirstBackoffMs;
  bool missed = false;  // notifications may have been lost since the last session
  for (;;) {
    std::unique_ptr<Connection> conn = Listen();
    if (!conn) {
      missed = true;
      if (!Wait(backoff_ms)) return;
      backoff_ms = std::min(backoff_ms * 2, kMaxBackoffMs);
      continue;
    }
    backoff_ms = kFirstBackoffMs;
    SetListening(true);
    if (missed) {
      // Whatever happened while nobody listened: every cache keyed on the store is suspect.
      for (const auto& [kind, name] : kKindNames) callbacks_.on_change(Change{kind, ""});
    }
    bool keep_going = Serve(*conn);
    SetListening(false);
    if (!keep_going) return;
    missed = true;
  }
}

std::unique_ptr<Connection> NotificationListener::Listen() {
  Result<std::unique_ptr<Connection>> conn = Connection::Open(config_, kApplicationName);
  if (!conn) return nullptr;
  char* quoted = PQescapeIdentifier((*conn)->raw(), channel_.c_str(), channel_.size());
  if (quoted == nullptr) return nullptr;
  std::string sql = std::string("LISTEN ") + quoted;
  PQfreemem(quoted);
  if (!(*conn)->Exec(sql)) return nullptr;
  return std::move(*conn);
}

bool NotificationListener::Serve(Connection& conn) {
  for (;;) {
    while (PGnotify* notify = PQnotifies(conn.raw())) {
      if (!callbacks_.is_own(notify->be_pid)) {
        if (std::optional<Change> change = DecodeChange(notify->extra)) {
          callbacks_.on_change(*change);
        }
      }
      PQfreemem(notify);
    }
    int fd = PQsocket(conn.raw());
    if (fd < 0) return true;
    pollfd fds[2] = {{.fd = fd, .events = POLLIN, .revents = 0},
                     {.fd = stop_pipe_[0], .events = POLLIN, .revents = 0}};
    int ready = ::poll(fds, 2, kIdlePingMs);
    if (ready < 0 && errno != EINTR) return true;
    if (fds[1].revents != 0) return false;
    if (ready == 0) {
      if (!conn.Ping(std::chrono::milliseconds(3000))) return true;
      continue;
    }
    if (PQconsumeInput(conn.raw()) == 0 || !conn.ok()) return true;
  }
}

bool NotificationListener::Wait(int timeout_ms) {
  pollfd stop{.fd = stop_pipe_[0], .events = POLLIN, .revents = 0};
  ::poll(&stop, 1, timeout_ms);
  return stop.revents == 0;
}

}  // namespace latchkey::store::postgres
