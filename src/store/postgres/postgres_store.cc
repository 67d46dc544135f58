#include "store/postgres/postgres_store.h"

#include <utility>

#include "store/postgres/migrate.h"
#include "store/postgres/notification_listener.h"

namespace latchkey::store::postgres {
namespace {

// How long Open waits for the notification session, so that changes committed right after
// Open returns are heard. If it is not ready by then it keeps trying in the background.
constexpr auto kListenerStartWait = std::chrono::seconds(3);

Result<std::string> CurrentSchema(Connection& conn) {
  return conn.Prepare("SELECT coalesce(current_schema(), '')")
      .One([](const Row& row) -> Result<std::string> { return row.Text(0); }, "schema");
}

}  // namespace

Result<std::unique_ptr<PostgresStore>> PostgresStore::Open(const std::string& url,
                                                           PoolOptions options,
                                                           StoreOptions timeouts) {
  Result<ConnectionConfig> config = ConnectionConfig::FromUrl(url, timeouts);
  if (!config) return std::unexpected(std::move(config).error());
  Result<std::unique_ptr<ConnectionPool>> pool = ConnectionPool::Open(std::move(*config), options);
  if (!pool) return std::unexpected(std::move(pool).error());

  std::string channel;
  {
    Result<ConnectionPool::Lease> lease = (*pool)->Acquire();
    if (!lease) return std::unexpected(std::move(lease).error());
    LATCHKEY_RETURN_IF_ERROR(ApplyMigrations(**lease, Migrations()));
    Result<std::string> schema = CurrentSchema(**lease);
    if (!schema) return std::unexpected(std::move(schema).error());
    channel = ChannelForSchema(*schema);
  }
  std::unique_ptr<PostgresStore> store(new PostgresStore(std::move(*pool), std::move(channel)));
  // Not ready in time (the server is slow): it keeps trying in the background, and reports a
  // flush of every kind once it listens.
  store->notifications_->WaitUntilReady(kListenerStartWait);
  return store;
}

PostgresStore::PostgresStore(std::unique_ptr<ConnectionPool> pool, std::string channel)
    : PooledStore(std::move(pool)), channel_(std::move(channel)) {
  notifications_ = std::make_unique<NotificationListener>(
      pool_->config(), channel_,
      NotificationListener::Callbacks{
          .on_change = [this](const Change& change) { NotifyLocal({change}); },
          .is_own = [this](int pid) { return pool_->IsOwnBackend(pid); }});
}

PostgresStore::~PostgresStore() = default;

bool PostgresStore::ListeningForChanges() const { return notifications_->Ready(); }

Status PostgresStore::BeforeCommit(Connection& conn, const std::vector<Change>& changes) {
  for (const Change& change : changes) {
    LATCHKEY_RETURN_IF_ERROR(
        conn.Prepare("SELECT pg_notify($1, $2)").Bind(channel_).Bind(EncodeChange(change)).Run());
  }
  return Ok();
}

Status PostgresStore::Ping() {
  Result<ConnectionPool::Lease> lease = pool_->Acquire(std::chrono::milliseconds(1000));
  if (!lease) return std::unexpected(std::move(lease).error());
  return (*lease)->Ping(std::chrono::milliseconds(1000));
}

}  // namespace latchkey::store::postgres
