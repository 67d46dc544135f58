#include "app/instrumented_store.h"

namespace latchkey::app {

Status InstrumentedStore::Ping() {
  const auto start = std::chrono::steady_clock::now();
  Status status = inner_->Ping();
  observer_.Observe("Ping", std::chrono::steady_clock::now() - start);
  return status;
}

}  // namespace latchkey::app
