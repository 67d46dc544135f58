// A store::Store decorator that times every store operation into
// latchkey_db_operation_duration_seconds{operation="<method name>"}. It owns the real store.
//
// It forwards no operation by hand: every operation of the query layer (store/query/) runs
// through the one seam of store/sql/executor.h, which names the operation and times it for this
// wrapper's OperationObserver, then runs on the inner store's sessions through the three
// hooks forwarded here. A new store operation is timed without a change to this file.
// Thread-safe as the store it wraps.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result_macros.h"
#include "http/offload_context.h"
#include "metrics/service_metrics.h"
#include "store/store.h"

namespace latchkey::app {

class InstrumentedStore final : public store::Store {
 public:
  InstrumentedStore(std::unique_ptr<store::Store> inner, metrics::ServiceMetrics& metrics)
      : inner_(std::move(inner)), observer_(metrics) {
    SetOperationObserver(&observer_);
  }

  store::Store& inner() { return *inner_; }

  // Each hook first checks the request it serves (http/offload.h): on an HTTP worker's fast
  // path a store call would block the worker, so the request goes to the store pool instead;
  // on the pool, a request that is not going to be answered (deadline passed, client gone)
  // starts no store call.
  Status RunRead(store::sql::FunctionRef<Status(store::sql::Session&)> fn) override {
    RETURN_IF_ERROR(MayBlock());
    return inner_->RunRead(fn);
  }
  Status RunSnapshot(store::sql::FunctionRef<Status(store::sql::Session&)> fn) override {
    RETURN_IF_ERROR(MayBlock());
    return inner_->RunSnapshot(fn);
  }
  Status RunWrite(store::sql::Isolation isolation,
                  store::sql::FunctionRef<Status(store::sql::Session&, std::vector<store::Change>&)>
                      fn) override {
    RETURN_IF_ERROR(MayBlock());
    return inner_->RunWrite(isolation, fn);
  }

  Status Ping() override;
  store::ChangeSubscription AddChangeListener(ChangeListener listener) override {
    return inner_->AddChangeListener(std::move(listener));
  }
  std::string backend() const override { return inner_->backend(); }
  store::PoolUsage pool_usage() const override { return inner_->pool_usage(); }

 private:
  static Status MayBlock() {
    if (http::DeferToPool()) {
      return MakeError(ErrorCode::kUnavailable, "store call deferred to the store pool");
    }
    if (http::Abandoned()) {
      return MakeError(ErrorCode::kUnavailable,
                       "request abandoned: its deadline has passed or its client has gone");
    }
    return Ok();
  }

  class Observer final : public store::OperationObserver {
   public:
    explicit Observer(metrics::ServiceMetrics& metrics) : metrics_(metrics) {}
    void Observe(std::string_view operation, std::chrono::nanoseconds elapsed) override {
      metrics_.RecordDbOperation(operation, std::chrono::duration<double>(elapsed).count());
    }

   private:
    metrics::ServiceMetrics& metrics_;
  };

  std::unique_ptr<store::Store> inner_;
  Observer observer_;
};

}  // namespace latchkey::app
