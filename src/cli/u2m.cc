#include "cli/u2m.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "base/encoding.h"
#include "cli/config.h"
#include "cli/file_io.h"
#include "cli/ini.h"

namespace latchkey::cli {
namespace {

constexpr char kClientId[] = "databricks-cli";

std::string RandomUrlSafe(size_t bytes) {
  std::string raw(bytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(raw.size()));
  return Base64UrlEncode(raw);
}

std::string S256(const std::string& verifier) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(verifier.data(), verifier.size(), digest, &len, EVP_sha256(), nullptr);
  return Base64UrlEncode(std::string(reinterpret_cast<char*>(digest), len));
}

std::optional<TimePoint> ParseRfc3339(const std::string& text) {
  std::tm tm{};
  // Go's oauth2.Token (the Databricks CLI) writes local time with fractions and an offset:
  // "2026-12-06T09:00:00.123456+01:00"; latchkey writes "...Z".
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr) return std::nullopt;
  int64_t t = static_cast<int64_t>(timegm(&tm));
  if (*end == '.') {
    ++end;
    while (*end >= '0' && *end <= '9') ++end;
  }
  if ((*end == '+' || *end == '-') && std::strlen(end) >= 6 && end[3] == ':') {
    const int64_t offset = ((end[1] - '0') * 10 + (end[2] - '0')) * 3600 +
                           ((end[4] - '0') * 10 + (end[5] - '0')) * 60;
    t += *end == '+' ? -offset : offset;
  } else if (*end != 'Z') {
    return std::nullopt;
  }
  return FromUnixSeconds(t);
}

CliResult<Json> ReadCache(const Environment& env) {
  CliResult<std::optional<std::string>> text = ReadFileIfExists(U2mCachePath(env));
  if (!text) return std::unexpected(text.error());
  Json cache = Json::parse(text->value_or(""), nullptr, false);
  if (!cache.is_object() || !cache.contains("tokens") || !cache["tokens"].is_object()) {
    cache = Json{{"version", 1}, {"tokens", Json::object()}};
  }
  return cache;
}

CliStatus WriteCache(const Environment& env, const Json& cache) {
  const std::string path = U2mCachePath(env);
  if (CliStatus made = MakePrivateDirectory(path.substr(0, path.rfind('/'))); !made) return made;
  return WriteFileAtomically(path, cache.dump(2) + "\n", true);
}

// POST {host}/oidc/v1/token; the token entry of the Databricks CLI's cache.
CliResult<Json> TokenRequest(Transport& transport, const Clock& clock, const std::string& host,
                             const std::string& form) {
  HttpRequest request{"POST", host + "/oidc/v1/token",
                      {{"Content-Type", "application/x-www-form-urlencoded"}}, form};
  CliResult<HttpResponse> response = transport.Send(request);
  if (!response) return std::unexpected(response.error());
  Json body = Json::parse(response->body, nullptr, false);
  if (response->status != 200 || !body.is_object() || !body.contains("access_token")) {
    std::string why = body.is_object() ? body.value("error_description", body.value("error", "")) : "";
    return Fail(ExitCode::kAuthentication, "the token endpoint refused: HTTP " +
                                               std::to_string(response->status) + " " + why);
  }
  const int64_t lifetime = body.value("expires_in", int64_t{3600});
  return Json{{"access_token", body["access_token"]},
              {"token_type", body.value("token_type", "Bearer")},
              {"refresh_token", body.value("refresh_token", "")},
              {"expiry", Rfc3339Utc(clock.Now() + std::chrono::seconds(lifetime))}};
}

// Waits for one GET with code and state on the loopback listener `fd`; answers it with a page.
CliResult<std::map<std::string, std::string>> AwaitRedirect(int fd, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 1000) <= 0) continue;
    int conn = accept(fd, nullptr, nullptr);
    if (conn < 0) continue;
    std::string request;
    char buf[2048];
    while (request.size() < 16384 && request.find("\r\n\r\n") == std::string::npos) {
      pollfd c{conn, POLLIN, 0};
      if (poll(&c, 1, 5000) <= 0) break;
      ssize_t n = read(conn, buf, sizeof buf);
      if (n <= 0) break;
      request.append(buf, static_cast<size_t>(n));
    }
    std::map<std::string, std::string> params;
    if (request.starts_with("GET ")) {
      std::string target = request.substr(4, request.find(' ', 4) - 4);
      if (size_t q = target.find('?'); q != std::string::npos) {
        if (auto form = ParseForm(target.substr(q + 1))) {
          for (auto& [k, v] : *form) params[k] = v;
        }
      }
    }
    const bool done = params.contains("code") || params.contains("error");
    const std::string page = done ? "<!doctype html><title>latchkey</title><p>Signed in: you can close this window and return to the terminal.</p>"
                                  : "<!doctype html><title>latchkey</title><p>Waiting for the sign-in.</p>";
    const std::string answer = "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nCache-Control: no-store\r\nConnection: close\r\nContent-Length: " +
                               std::to_string(page.size()) + "\r\n\r\n" + page;
    (void)!write(conn, answer.data(), answer.size());
    close(conn);
    if (done) return params;
  }
  return Fail(ExitCode::kAuthentication, "no sign-in came back within " +
                                             std::to_string(timeout.count()) + " seconds");
}

bool OnPath(const Environment& env, const std::string& program) {
  std::string path = EnvValue(env, "PATH").value_or("");
  for (size_t start = 0; start <= path.size();) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    if (!dir.empty() && access((dir + "/" + program).c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

struct LoginOptions {
  std::string host;
  int port = 8020;  // the Databricks CLI's redirect port
  bool no_browser = false;
  int timeout_seconds = 300;
};

CliStatus Login(CommandContext& ctx, const LoginOptions& o) {
  CliResult<std::string> host = NormalizeHost(o.host);
  if (!host) return std::unexpected(host.error());
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(o.port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 4) != 0) {
    if (fd >= 0) close(fd);
    return Fail(ExitCode::kUsage, "cannot listen on 127.0.0.1:" + std::to_string(o.port) +
                                      " for the sign-in redirect (use --port)");
  }
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::string redirect = "http://localhost:" + std::to_string(ntohs(addr.sin_port));
  const std::string verifier = RandomUrlSafe(32), state = RandomUrlSafe(16);
  const std::string url = *host + "/oidc/v1/authorize?client_id=" + kClientId +
                          "&response_type=code&redirect_uri=" + PercentEncode(redirect) +
                          "&code_challenge=" + S256(verifier) +
                          "&code_challenge_method=S256&scope=all-apis%20offline_access&state=" + state;
  ctx.err() << "Open this URL in a browser to sign in:\n" << url << "\n" << std::flush;
  if (!o.no_browser && OnPath(ctx.env(), "xdg-open")) {
    if (pid_t pid = fork(); pid == 0) {
      int null = ::open("/dev/null", O_RDWR);
      dup2(null, 1);
      dup2(null, 2);
      execlp("xdg-open", "xdg-open", url.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  CliResult<std::map<std::string, std::string>> params =
      AwaitRedirect(fd, std::chrono::seconds(o.timeout_seconds));
  close(fd);
  if (!params) return std::unexpected(params.error());
  if ((*params)["state"] != state) {
    return Fail(ExitCode::kAuthentication, "the redirect's state is not the one sent: refused");
  }
  if (params->contains("error")) {
    return Fail(ExitCode::kAuthentication, "sign-in refused: " + (*params)["error"] + " " +
                                               (*params)["error_description"]);
  }
  // The profile may not exist yet: the transport trusts the environment's CA files only.
  TlsOptions tls;
  for (const char* name : {"SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"}) {
    if (auto file = EnvValue(ctx.env(), name); file && !file->empty()) tls.ca_files.push_back(*file);
  }
  std::unique_ptr<Transport> http = ctx.deps().make_transport(tls);
  CliResult<Json> entry = TokenRequest(
      *http, ctx.deps().clock, *host,
      "grant_type=authorization_code&client_id=" + std::string(kClientId) +
          "&code=" + PercentEncode((*params)["code"]) + "&code_verifier=" + verifier +
          "&redirect_uri=" + PercentEncode(redirect));
  if (!entry) return std::unexpected(entry.error());
  CliResult<Json> cache = ReadCache(ctx.env());
  if (!cache) return std::unexpected(cache.error());
  (*cache)["version"] = 1;
  (*cache)["tokens"][*host] = *entry;
  if (CliStatus written = WriteCache(ctx.env(), *cache); !written) return written;
  // The profile: --profile, else the host's name, as the Databricks CLI names it.
  std::string profile = ctx.profile_flag().value_or("");
  if (profile.empty()) profile = host->substr(host->find("://") + 3);
  const std::string cfg = ConfigFilePath(ctx.env());
  CliResult<std::optional<std::string>> text = ReadFileIfExists(cfg);
  if (!text) return std::unexpected(text.error());
  CliResult<IniFile> ini = IniFile::Parse(text->value_or(""));
  if (!ini) return std::unexpected(ini.error());
  ini->Set(profile, "host", *host);
  ini->Set(profile, "auth_type", "databricks-cli");
  if (CliStatus written = WriteFileAtomically(cfg, ini->Serialize(), true); !written) return written;
  return ctx.Print(Json{{"profile", profile}, {"host", *host}, {"expiry", (*entry)["expiry"]}});
}

CliStatus Logout(CommandContext& ctx, const std::string& raw_host) {
  CliResult<std::string> host = NormalizeHost(raw_host);
  if (!host) return std::unexpected(host.error());
  CliResult<Json> cache = ReadCache(ctx.env());
  if (!cache) return std::unexpected(cache.error());
  const bool had = (*cache)["tokens"].erase(*host) > 0;
  if (CliStatus written = WriteCache(ctx.env(), *cache); !written) return written;
  return ctx.Print(Json{{"host", *host}, {"logged_out", had}});
}

}  // namespace

std::string U2mCachePath(const Environment& env) {
  return EnvValue(env, "HOME").value_or(".") + "/.databricks/token-cache.json";
}

CliResult<AccessToken> U2mAccessToken(Transport& transport, const Clock& clock,
                                      const Environment& env, const std::string& host) {
  CliResult<Json> cache = ReadCache(env);
  if (!cache) return std::unexpected(cache.error());
  Json& tokens = (*cache)["tokens"];
  if (!tokens.contains(host) || !tokens[host].is_object()) {
    return Fail(ExitCode::kAuthentication,
                "no cached sign-in for " + host + ": run `latchkey auth login --host " + host + "`");
  }
  Json entry = tokens[host];
  std::optional<TimePoint> expiry = ParseRfc3339(entry.value("expiry", ""));
  if (!expiry || *expiry - clock.Now() < std::chrono::seconds(60)) {
    const std::string refresh = entry.value("refresh_token", "");
    if (refresh.empty()) {
      return Fail(ExitCode::kAuthentication, "the sign-in for " + host + " expired: run `latchkey auth login`");
    }
    CliResult<Json> fresh = TokenRequest(transport, clock, host,
                                         "grant_type=refresh_token&client_id=" + std::string(kClientId) +
                                             "&refresh_token=" + PercentEncode(refresh));
    if (!fresh) return std::unexpected(fresh.error());
    entry = *fresh;
    tokens[host] = entry;
    if (CliStatus written = WriteCache(env, *cache); !written) return std::unexpected(written.error());
    expiry = ParseRfc3339(entry.value("expiry", ""));
  }
  return AccessToken{Secret(entry.value("access_token", "")), clock.Now(), expiry.value_or(clock.Now())};
}

void AddU2mCommands(CLI::App* group, CommandRegistry& registry) {
  auto login = std::make_shared<LoginOptions>();
  CLI::App* cmd = group->add_subcommand(
      "login", "Sign in as a person (Databricks U2M: the browser, then cached, refreshed tokens)");
  cmd->add_option("--host", login->host, "Workspace URL")->required();
  cmd->add_option("--port", login->port, "Loopback port for the redirect (default 8020; 0 = any)");
  cmd->add_flag("--no-browser", login->no_browser, "Only print the URL");
  cmd->add_option("--timeout", login->timeout_seconds, "Seconds to wait for the sign-in");
  registry.Bind(cmd, [login](CommandContext& ctx) { return Login(ctx, *login); });

  auto host = std::make_shared<std::string>();
  cmd = group->add_subcommand("logout", "Forget the cached sign-in of a host");
  cmd->add_option("--host", *host, "Workspace URL")->required();
  registry.Bind(cmd, [host](CommandContext& ctx) { return Logout(ctx, *host); });
}

}  // namespace latchkey::cli
