#include "cli/terminal.h"

#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <iterator>

namespace latchkey::cli {

bool StdTerminal::IsInteractive() { return ::isatty(STDIN_FILENO) == 1; }

std::string StdTerminal::ReadLine(std::string_view prompt) {
  std::cerr << prompt << std::flush;
  std::string line;
  std::getline(std::cin, line);
  return line;
}

std::string StdTerminal::ReadSecret(std::string_view prompt) {
  termios saved{};
  const bool tty = ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (tty) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line = ReadLine(prompt);
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    std::cerr << '\n';
  }
  return line;
}

std::string StdTerminal::ReadAll() {
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

}  // namespace latchkey::cli
