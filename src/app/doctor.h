// `latchkeyd doctor`: what a user runs when something does not work. Checks the data dir and
// key files' permissions, the TLS certificate's expiry and names against the public URL, the
// listeners (free, in use, or not bindable), the database (opens, schema current, SQLite's
// integrity_check, PostgreSQL reachable) and that a signing key exists; prints one line per
// check ("ok", "warn" or "FAIL ... -> what to do"). Returns 0 when nothing failed.
#pragma once

#include <ostream>

#include "app/config.h"
#include "base/clock.h"

namespace latchkey::app {

int RunDoctor(const Config& config, const Clock& clock, std::ostream& out);

}  // namespace latchkey::app
