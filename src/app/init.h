// `latchkeyd init`: creates a data dir (0700) with the SQLite database, the first signing key,
// a local CA and a TLS server certificate, the default tenant, the workspace with its admin
// user and PAT, and a directory-admin app; returns the bootstrap JSON printed on stdout.
#pragma once

#include <string>

#include "app/config.h"
#include "base/result.h"

namespace latchkey::app {

enum class InitMode { kRefuseExisting, kForce };

// Returns the bootstrap JSON document (one line). Secrets in it are shown only here.
Result<std::string> InitDataDir(Config config, InitMode mode);

}  // namespace latchkey::app
