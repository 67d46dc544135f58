// `latchkeyd doctor`: what a user runs when something does not work. Checks the data dir and
// key files' permissions, the TLS certificate's expiry and names against the public URL, the
// listeners (free, in use, or not bindable), the database (opens, schema current, SQLite's
// integrity_check, PostgreSQL reachable), this machine's clock against PostgreSQL's, and that a
// signing key exists; prints one line per check ("ok", "warn" or "FAIL ... -> what to do").
// Returns 0 when nothing failed.
#pragma once

#include <chrono>
#include <ostream>

#include "app/config.h"
#include "base/clock.h"

namespace latchkey::app {

// How far this machine's clock may be from the database's. Every replica stamps expiry times
// with its own clock and checks them with its own clock, so two replicas whose clocks disagree
// disagree about when a PAT or a JWT expires: within the JWT skew allowance (60 s) that is
// harmless, past it tokens look expired (or not yet valid) on one replica only.
inline constexpr std::chrono::milliseconds kClockSkewWarn{2000};
inline constexpr std::chrono::milliseconds kClockSkewFail{60000};

// The skew between a database clock reading and this machine's, judged from the local readings
// taken just before and after the query (the database's answer is compared with their midpoint,
// and the round trip is the measurement's uncertainty). Positive: the database is ahead.
struct ClockSkew {
  std::chrono::milliseconds skew;
  std::chrono::milliseconds round_trip;
  enum class Verdict { kOk, kWarn, kFail } verdict;
};
ClockSkew JudgeClockSkew(TimePoint local_before, TimePoint database, TimePoint local_after);

int RunDoctor(const Config& config, const Clock& clock, std::ostream& out);

}  // namespace latchkey::app
