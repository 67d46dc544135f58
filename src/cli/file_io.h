// Small file helpers for the CLI's own files (~/.databrickscfg, the login and token caches).
// Errors are CliErrors with kUsage for config files the user must fix, as documented in README.
#pragma once

#include <optional>
#include <string>

#include "cli/cli_error.h"

namespace latchkey::cli {

// The file's contents, std::nullopt if it does not exist, or an error if it cannot be read.
CliResult<std::optional<std::string>> ReadFileIfExists(const std::string& path);

// Replaces `path` atomically (temporary file in the same directory, fsync, rename). A new file
// gets mode 0600; an existing file keeps its mode, except that with `holds_secrets` its group
// and other bits are dropped (0644 becomes 0600). A symlink is followed, not replaced.
CliStatus WriteFileAtomically(const std::string& path, const std::string& contents,
                              bool holds_secrets = false);

// Creates `dir` and missing parents with mode 0700.
CliStatus MakePrivateDirectory(const std::string& dir);

}  // namespace latchkey::cli
