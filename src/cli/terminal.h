// Standard input as the CLI sees it: a terminal to prompt on (secrets without echo), or a pipe
// to read a token from. An interface so that tests script it.
#pragma once

#include <string>
#include <string_view>

namespace latchkey::cli {

class Terminal {
 public:
  virtual ~Terminal() = default;
  // True when standard input is a terminal.
  virtual bool IsInteractive() = 0;
  // Writes `prompt` to standard error and reads one line (echoed).
  virtual std::string ReadLine(std::string_view prompt) = 0;
  // As ReadLine, with echo turned off.
  virtual std::string ReadSecret(std::string_view prompt) = 0;
  // All of standard input (for a piped token).
  virtual std::string ReadAll() = 0;
};

// The process's stdin/stderr.
class StdTerminal final : public Terminal {
 public:
  bool IsInteractive() override;
  std::string ReadLine(std::string_view prompt) override;
  std::string ReadSecret(std::string_view prompt) override;
  std::string ReadAll() override;
};

}  // namespace latchkey::cli
