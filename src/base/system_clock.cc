#include "base/clock.h"

#include <ctime>

namespace latchkey {

TimePoint SystemClock::Now() const { return std::chrono::system_clock::now(); }

namespace {

std::string Format(TimePoint t, const char* format, bool utc) {
  const std::time_t seconds = static_cast<std::time_t>(ToUnixSeconds(t));
  std::tm tm{};
  if (utc) {
    gmtime_r(&seconds, &tm);
  } else {
    localtime_r(&seconds, &tm);
  }
  char text[64];
  if (std::strftime(text, sizeof text, format, &tm) == 0) return {};
  return text;
}

}  // namespace

std::string FormatUtc(TimePoint t, const char* format) { return Format(t, format, true); }

std::string FormatLocal(TimePoint t, const char* format) { return Format(t, format, false); }

}  // namespace latchkey
