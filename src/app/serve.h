// `latchkeyd serve`: the composition root. Builds the clock, randomness, store, signing keys,
// identity provider and workspace, wires their routes into one Router, and runs the HTTP
// server until SIGTERM/SIGINT (graceful) — SIGHUP reloads the TLS certificate.
#pragma once

#include "app/config.h"

namespace latchkey::app {

// Returns the process exit code.
int Serve(const Config& config);

}  // namespace latchkey::app
