// The `latchkey` executable: the real outside world handed to RunCli.
#include <iostream>

#include "base/clock.h"
#include "cli/command.h"
#include "cli/config.h"
#include "cli/http.h"
#include "cli/terminal.h"

int main(int argc, char** argv) {
  using namespace latchkey::cli;
  latchkey::SystemClock clock;
  RealSleeper sleeper;
  StdTerminal terminal;
  CliDeps deps{CurrentEnvironment(), std::cout, std::cerr, terminal, clock, sleeper,
               [](const TlsOptions& tls) { return MakeCurlTransport(tls); }};
  return RunCli(std::vector<std::string>(argv + 1, argv + argc), deps);
}
