// OpenStore: picks the backend from the URL scheme. Also the contract's shared helpers.
#include <algorithm>
#include <cctype>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

namespace latchkey::store {

namespace {

// libpq's two connection string forms: a postgresql:// or postgres:// URI, or key=value pairs
// ("host=db1 port=5432 dbname=latchkey ..."): a keyword of letters and underscores, then '='.
bool IsPostgresConninfo(std::string_view text) {
  if (text.starts_with("postgresql://") || text.starts_with("postgres://")) return true;
  size_t at = text.find_first_not_of(" \t\n\r\f\v");
  if (at == std::string_view::npos) return false;
  size_t end = at;
  while (end < text.size() && (std::isalpha(static_cast<unsigned char>(text[end])) != 0 ||
                               text[end] == '_')) {
    ++end;
  }
  if (end == at) return false;
  end = text.find_first_not_of(" \t", end);
  return end != std::string_view::npos && text[end] == '=';
}

}  // namespace

AuditEvent RevokedByPermissionEvent(const AuditEvent& cause, const std::string& token_id,
                                    int64_t owner_id) {
  AuditEvent event = cause;
  event.seq = 0;
  event.action = "token.revoked_by_permission";
  event.target = "token:" + token_id;
  event.detail = "{\"owner_id\":" + std::to_string(owner_id) + "}";
  return event;
}

Result<std::unique_ptr<Store>> OpenStore(const std::string& url, const StoreOptions& options) {
  std::string_view view = url;
  if (view.starts_with("sqlite:")) {
    std::string path(view.substr(std::string_view("sqlite:").size()));
    if (path.empty()) return MakeError(ErrorCode::kInvalidArgument, "sqlite URL without a path");
    Result<std::unique_ptr<sqlite::SqliteStore>> store = sqlite::SqliteStore::Open(path);
    if (!store) return std::unexpected(std::move(store).error());
    return std::unique_ptr<Store>(std::move(*store));
  }
  if (IsPostgresConninfo(view)) {
    Result<std::unique_ptr<postgres::PostgresStore>> store = postgres::PostgresStore::Open(url, {}, options);
    if (!store) return std::unexpected(std::move(store).error());
    return std::unique_ptr<Store>(std::move(*store));
  }
  // Only a scheme-shaped prefix goes into the message: the rest may carry a password.
  std::string scheme(view.substr(0, std::min(view.find(':'), view.size())));
  bool scheme_shaped = !scheme.empty() && scheme.size() <= 16 &&
                       std::all_of(scheme.begin(), scheme.end(), [](unsigned char c) {
                         return std::isalnum(c) != 0 || c == '+' || c == '.' || c == '-';
                       });
  if (!scheme_shaped) scheme = "?";
  return MakeError(ErrorCode::kInvalidArgument,
                   "unknown store URL scheme '" + scheme +
                       "' (expected sqlite:PATH, sqlite::memory:, postgresql://... or libpq's "
                       "key=value form, e.g. host=... dbname=...)");
}

}  // namespace latchkey::store
