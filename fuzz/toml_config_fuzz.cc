// Fuzzes latchkeyd's configuration file: the input is written to <data_dir>/latchkey.toml and
// loaded with LoadConfig (toml++ parse, then the typed options). A config that loads must be
// safe to run with: lifetimes and timeouts that later arithmetic (now + lifetime) can use
// without overflow, real limits (not a negative number cast to size_t), and listen addresses that survive the ToString/parse round trip that
// `latchkeyd init` relies on.
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

#include "app/config.h"
#include "base/clock.h"
#include "base/result.h"

using namespace latchkey;
using namespace latchkey::app;

namespace {

const std::string& DataDir() {
  static const std::string* dir = [] {
    char templ[] = "/tmp/latchkey-toml-fuzz-XXXXXX";
    LATCHKEY_CHECK(mkdtemp(templ) != nullptr);
    auto* path = new std::string(templ);
    // Leave nothing behind in /tmp when the fuzzer or the replay exits.
    std::atexit([] {
      std::remove((DataDir() + "/latchkey.toml").c_str());
      rmdir(DataDir().c_str());
    });
    return path;
  }();
  return *dir;
}

// True if `d` can be added to any time point of this century without overflowing the
// nanosecond system_clock.
template <class Rep, class Period>
bool Representable(std::chrono::duration<Rep, Period> d) {
  using namespace std::chrono;
  constexpr int64_t kLimit = 200LL * 366 * 86400;  // ~200 years in seconds
  return duration_cast<seconds>(d).count() >= 0 && duration_cast<seconds>(d).count() <= kLimit;
}

void CheckListen(const ListenAddress& address) {
  LATCHKEY_CHECK(!address.host.empty());
  if (address.host.find_first_of("[]") != std::string::npos) return;
  Result<ListenAddress> again = ParseListenAddress(address.ToString());
  LATCHKEY_CHECK(again.has_value());
  LATCHKEY_CHECK(again->host == address.host && again->port == address.port &&
                 again->tls == address.tls);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  {
    std::ofstream out(DataDir() + "/latchkey.toml", std::ios::binary | std::ios::trunc);
    out.write(input.data(), static_cast<std::streamsize>(input.size()));
  }
  ConfigOverrides flags;
  flags.data_dir = DataDir();
  Result<Config> config = LoadConfig(flags, Environment{});
  if (!config) {
    LATCHKEY_CHECK(config.error().code == ErrorCode::kInvalidArgument);
  } else {
    const Config& c = *config;
    LATCHKEY_CHECK(c.data_dir == DataDir());
    LATCHKEY_CHECK(c.log_format == "json" || c.log_format == "text");
    LATCHKEY_CHECK(c.threads >= 0 && c.threads <= 256);
    LATCHKEY_CHECK(Representable(c.access_token_lifetime));
    LATCHKEY_CHECK(Representable(c.oauth_token_lifetime));
    LATCHKEY_CHECK(Representable(c.default_pat_lifetime));
    LATCHKEY_CHECK(Representable(c.header_timeout) && c.header_timeout.count() > 0);
    LATCHKEY_CHECK(Representable(c.idle_timeout) && c.idle_timeout.count() > 0);
    // A negative TOML integer cast to size_t is no limit at all.
    LATCHKEY_CHECK(c.max_body_bytes > 0 && c.max_body_bytes <= (size_t{1} << 30));
    LATCHKEY_CHECK(c.max_connections_per_ip > 0 && c.max_connections_per_ip <= 1'000'000);
    LATCHKEY_CHECK(c.pat_quota >= 0);
    for (const ListenAddress& address : c.listen) CheckListen(address);
    // What `latchkeyd init` writes loads again.
    (void)RenderConfigFile(c);
  }
  // Each line as a --listen flag / LATCHKEY_LISTEN value.
  for (size_t pos = 0; pos < input.size();) {
    size_t end = input.find('\n', pos);
    if (end == std::string_view::npos) end = input.size();
    if (Result<ListenAddress> address = ParseListenAddress(input.substr(pos, end - pos))) {
      CheckListen(*address);
    }
    pos = end + 1;
  }
  return 0;
}
