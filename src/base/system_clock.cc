#include "base/clock.h"

namespace latchkey {

TimePoint SystemClock::Now() const { return std::chrono::system_clock::now(); }

}  // namespace latchkey
