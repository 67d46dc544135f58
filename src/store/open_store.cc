// OpenStore: picks the backend from the URL scheme. Also the contract's shared helpers.
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

namespace latchkey::store {

AuditEvent RevokedByPermissionEvent(const AuditEvent& cause, const std::string& token_id,
                                    int64_t owner_id) {
  AuditEvent event = cause;
  event.seq = 0;
  event.action = "token.revoked_by_permission";
  event.target = "token:" + token_id;
  event.detail = "{\"owner_id\":" + std::to_string(owner_id) + "}";
  return event;
}

Result<std::unique_ptr<Store>> OpenStore(const std::string& url) {
  std::string_view view = url;
  if (view.starts_with("sqlite:")) {
    std::string path(view.substr(std::string_view("sqlite:").size()));
    if (path.empty()) return MakeError(ErrorCode::kInvalidArgument, "sqlite URL without a path");
    Result<std::unique_ptr<sqlite::SqliteStore>> store = sqlite::SqliteStore::Open(path);
    if (!store) return std::unexpected(std::move(store).error());
    return std::unique_ptr<Store>(std::move(*store));
  }
  if (view.starts_with("postgresql://") || view.starts_with("postgres://")) {
    Result<std::unique_ptr<postgres::PostgresStore>> store = postgres::PostgresStore::Open(url);
    if (!store) return std::unexpected(std::move(store).error());
    return std::unique_ptr<Store>(std::move(*store));
  }
  // Only the scheme goes into the message: a database URL may carry a password.
  std::string scheme(view.substr(0, view.find(':')));
  return MakeError(ErrorCode::kInvalidArgument,
                   "unknown store URL scheme '" + scheme +
                       "' (expected sqlite:PATH, sqlite::memory: or postgresql://...)");
}

}  // namespace latchkey::store
