#include "cli/login_session.h"

#include "cli/api_client.h"
#include "cli/file_io.h"

namespace latchkey::cli {

std::string LoginSessionPath(const std::string& state_dir) { return state_dir + "/login.json"; }
std::string TokenCachePath(const std::string& state_dir) {
  return state_dir + "/token-cache.json";
}

CliResult<LoginSession> LoadLoginSession(const std::string& state_dir) {
  const std::string path = LoginSessionPath(state_dir);
  auto text = ReadFileIfExists(path);
  if (!text) return std::unexpected(text.error());
  constexpr const char* kHint =
      "not logged in: run `latchkey login --service-principal --tenant T --username ID "
      "--password SECRET --authority URL`";
  if (!*text) return Fail(ExitCode::kAuthentication, kHint);
  const Json json = Json::parse(**text, nullptr, false);
  try {
    return LoginSession{json.at("authority").get<std::string>(),
                        json.at("tenant").get<std::string>(),
                        json.at("client_id").get<std::string>(),
                        Secret(json.at("client_secret").get<std::string>())};
  } catch (const Json::exception&) {
    return Fail(ExitCode::kAuthentication, std::string(kHint) + " (" + path + " is damaged)");
  }
}

CliStatus SaveLoginSession(const std::string& state_dir, const LoginSession& session) {
  if (auto made = MakePrivateDirectory(state_dir); !made) return made;
  const Json json{{"authority", session.authority},
                  {"tenant", session.tenant},
                  {"client_id", session.client_id},
                  {"client_secret", session.client_secret.reveal()}};
  return WriteFileAtomically(LoginSessionPath(state_dir), json.dump(2) + "\n",
                             /*holds_secrets=*/true);
}

}  // namespace latchkey::cli
