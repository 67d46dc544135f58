// Executor: where a store operation (src/store/query/) meets a backend. A backend implements the
// three hooks (a session for a read, a read snapshot, or a write transaction); an operation
// calls Read, Snapshot or Write exactly once, under its own name:
//
//   Result<Pat> PrincipalStore::GetPat(const std::string& token_id) {
//     return Read("GetPat", [&](sql::Session& s) { return s.Prepare(...).Bind(...).One(...); });
//   }
//
// That call is the one seam every operation passes: it times the operation for the
// OperationObserver (latchkey_db_operation_duration_seconds{operation="GetPat"}), inserts the
// write's audit event in its transaction, and hands the changes to the backend, which publishes
// them (pg_notify inside the transaction; local listeners after the commit).
#pragma once

#include <chrono>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "base/result.h"
#include "store/change_listeners.h"
#include "store/records.h"
#include "store/sql/function_ref.h"
#include "store/sql/session.h"

namespace latchkey::store {

// Told the duration of every store operation (app/ feeds the metrics with it). Must be fast and
// thread-safe; `operation` is the Store method's name.
class OperationObserver {
 public:
  virtual void Observe(std::string_view operation, std::chrono::nanoseconds elapsed) = 0;

 protected:
  ~OperationObserver() = default;
};

namespace sql {

enum class Isolation {
  kDefault,       // SQLite: its one writer; PostgreSQL: READ COMMITTED
  kSerializable,  // PostgreSQL: SERIALIZABLE, retried on serialization failure
};

template <class Fn>
using WriteResult =
    typename std::conditional_t<std::is_invocable_v<Fn&, Session&, std::vector<Change>&>,
                                std::invoke_result<Fn&, Session&, std::vector<Change>&>,
                                std::invoke_result<Fn&, Session&>>::type;

class Executor {
 public:
  virtual ~Executor() = default;

  // Times every operation from now on (nullptr: none). Set before the store is shared.
  void SetOperationObserver(OperationObserver* observer) { observer_ = observer; }

  // The backend hooks. Each returns fn's status (or the backend's own failure). Backends
  // implement them; operations call Read, Snapshot and Write below instead.
  // A session outside an explicit transaction (each statement sees committed data).
  virtual Status RunRead(FunctionRef<Status(Session&)> fn) = 0;
  // A read-only transaction: every statement sees one consistent snapshot.
  virtual Status RunSnapshot(FunctionRef<Status(Session&)> fn) = 0;
  // A write transaction: commits if fn succeeds, else rolls back. fn may run more than once
  // (PostgreSQL retries serialization failures; `changes` is cleared before each attempt).
  // Once committed, the backend publishes `changes`.
  virtual Status RunWrite(Isolation isolation,
                          FunctionRef<Status(Session&, std::vector<Change>&)> fn) = 0;

 protected:
  // fn(Session&) -> Status or Result<T>.
  template <class Fn>
  auto Read(std::string_view operation, Fn&& fn) -> std::invoke_result_t<Fn&, Session&> {
    Timer timer(observer_, operation);
    return Capture<std::invoke_result_t<Fn&, Session&>>([&](auto&& body) { return RunRead(body); },
                                                        [&](Session& s) { return fn(s); });
  }
  template <class Fn>
  auto Snapshot(std::string_view operation, Fn&& fn) -> std::invoke_result_t<Fn&, Session&> {
    Timer timer(observer_, operation);
    return Capture<std::invoke_result_t<Fn&, Session&>>(
        [&](auto&& body) { return RunSnapshot(body); }, [&](Session& s) { return fn(s); });
  }
  // fn(Session&, std::vector<Change>&) -> Status or Result<T>, listing the changes it made (or
  // fn(Session&) for a write nobody needs to hear of); `audit` (if not null) is inserted after
  // fn, in the same transaction.
  template <class Fn>
  auto Write(std::string_view operation, const AuditEvent* audit, Fn&& fn,
             Isolation isolation = Isolation::kDefault) -> WriteResult<Fn> {
    Timer timer(observer_, operation);
    std::optional<WriteResult<Fn>> out;
    Status status = RunWrite(isolation, [&](Session& s, std::vector<Change>& changes) -> Status {
      if constexpr (std::is_invocable_v<Fn&, Session&, std::vector<Change>&>) {
        out.emplace(fn(s, changes));
      } else {
        out.emplace(fn(s));
      }
      if (!*out) return std::unexpected(out->error());
      if (audit != nullptr) return InsertAudit(s, *audit);
      return Ok();
    });
    if (!status) return std::unexpected(std::move(status).error());
    return std::move(*out);
  }
  template <class Fn>
  auto Write(std::string_view operation, Fn&& fn, Isolation isolation = Isolation::kDefault)
      -> WriteResult<Fn> {
    return Write(operation, nullptr, std::forward<Fn>(fn), isolation);
  }

  // The one-statement operations, `params` bound in order. ReadOne: the first row, mapped by
  // `row`, or kNotFound "<what> not found". ReadAll: every row.
  template <class RowFn, class... Params>
  auto ReadOne(std::string_view operation, std::string_view sql, RowFn row, std::string_view what,
               const Params&... params) {
    return Read(operation,
                [&](Session& s) { return s.Prepare(sql).BindAll(params...).One(row, what); });
  }
  template <class RowFn, class... Params>
  auto ReadAll(std::string_view operation, std::string_view sql, RowFn row,
               const Params&... params) {
    return Read(operation, [&](Session& s) { return s.Prepare(sql).BindAll(params...).All(row); });
  }
  // One write statement; `change`, if any, is published once it committed, `audit` stored
  // with it.
  template <class... Params>
  Status WriteOne(std::string_view operation, const AuditEvent* audit, std::optional<Change> change,
                  std::string_view sql, const Params&... params) {
    return Write(operation, audit, [&](Session& s, std::vector<Change>& changes) -> Status {
      LATCHKEY_RETURN_IF_ERROR(s.Prepare(sql).BindAll(params...).Run());
      if (change) changes.push_back(*change);
      return Ok();
    });
  }
  // An UPDATE or DELETE of a row that must exist (kNotFound "<what> not found" when it changed
  // none); `change`, if any, is published once it committed, `audit` stored with it.
  template <class... Params>
  Status WriteExisting(std::string_view operation, const AuditEvent* audit,
                       std::optional<Change> change, std::string_view sql, std::string_view what,
                       const Params&... params) {
    return Write(operation, audit, [&](Session& s, std::vector<Change>& changes) -> Status {
      LATCHKEY_RETURN_IF_ERROR(s.Prepare(sql).BindAll(params...).UpdateExisting(what));
      if (change) changes.push_back(*change);
      return Ok();
    });
  }

 public:
  // Inserts one audit event (seq assigned by the database). PostgreSQL: inserts take turns (a
  // transaction-level advisory lock held until commit), so seq order is commit order and a
  // reader paging with ListAudit(after_seq) never skips an event that commits late.
  static Status InsertAudit(Session& session, const AuditEvent& event);

 private:
  class Timer {
   public:
    Timer(OperationObserver* observer, std::string_view operation)
        : observer_(observer), operation_(operation) {
      if (observer_ != nullptr) start_ = std::chrono::steady_clock::now();
    }
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;
    ~Timer() {
      if (observer_ != nullptr)
        observer_->Observe(operation_, std::chrono::steady_clock::now() - start_);
    }

   private:
    OperationObserver* observer_;
    std::string_view operation_;
    std::chrono::steady_clock::time_point start_;
  };

  // Runs fn through `run` (a hook taking FunctionRef<Status(Session&)>) and returns fn's result.
  template <class R, class Run, class Fn>
  static R Capture(Run&& run, Fn&& fn) {
    std::optional<R> out;
    auto body = [&](Session& s) -> Status {
      out.emplace(fn(s));
      if (!*out) return std::unexpected(out->error());
      return Ok();
    };
    Status status = run(FunctionRef<Status(Session&)>(body));
    if (!status) return std::unexpected(std::move(status).error());
    return std::move(*out);
  }

  OperationObserver* observer_ = nullptr;
};

}  // namespace sql
}  // namespace latchkey::store
