// The CLI's error contract: every failure a command can meet ends as a CliError whose exit code
// is one of the documented process exit codes (README.md, `latchkey --help`). Messages are one
// line, meant for people, and never contain a secret (token, client secret, Authorization).
//
// Why not base/result.h's ErrorCode: exit codes classify *where* a failure happened (usage,
// credentials, server, network) rather than what kind of failure it was; a 400 from the server
// and a missing --host flag are both "invalid argument" but must exit differently.
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace latchkey::cli {

enum class ExitCode : int {
  kOk = 0,
  kUsage = 2,           // unknown flag, missing argument, no host configured, bad config file
  kAuthentication = 3,  // 401/403 from a server, missing or refused credentials
  kNotFound = 4,        // 404 from a server
  kServer = 5,          // any other error answer from a server, or an unreadable answer
  kNetwork = 6,         // host unreachable, timeout, TLS/certificate failure
};

struct [[nodiscard]] CliError {
  ExitCode exit_code;
  std::string message;
};

template <class T>
using CliResult = std::expected<T, CliError>;
using CliStatus = std::expected<void, CliError>;

inline std::unexpected<CliError> Fail(ExitCode code, std::string message) {
  return std::unexpected(CliError{code, std::move(message)});
}

// Exit code for an HTTP error status: 401/403 -> kAuthentication, 404 -> kNotFound, other
// statuses -> kServer.
ExitCode ExitCodeForHttpStatus(long status);

// The one-line "Exit codes:" table shown in `latchkey --help`.
const char* ExitCodeHelp();

}  // namespace latchkey::cli
