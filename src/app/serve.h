// `latchkeyd serve`: the composition root. Builds the clock, randomness, store, signing keys,
// identity provider and workspace, wires their routes into one Router, and runs the HTTP
// server until SIGTERM/SIGINT (graceful). SIGHUP re-reads the config file (log level, public
// hosts), the TLS certificate and the signing keys, and reopens the audit log file.
#pragma once

#include <functional>

#include "app/config.h"

namespace latchkey::app {

// Returns the process exit code. `reload_config` (optional) re-reads the configuration on
// SIGHUP; the reloadable settings are applied (see ApplyReloadableSettings in serve.cc).
int Serve(const Config& config, std::function<Result<Config>()> reload_config = {});

}  // namespace latchkey::app
