#include "cli/file_io.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "base/files.h"

namespace latchkey::cli {
namespace {

std::string Why(int err) { return std::strerror(err); }

}  // namespace

CliResult<std::optional<std::string>> ReadFileIfExists(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<std::string>();
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(ExitCode::kUsage, "cannot read " + path + ": " + Why(errno));
  std::ostringstream contents;
  contents << in.rdbuf();
  return std::optional<std::string>(contents.str());
}

CliStatus WriteFileAtomically(const std::string& path, const std::string& contents,
                              bool holds_secrets) {
  std::error_code ec;
  std::filesystem::path target(path);
  if (std::filesystem::is_symlink(target, ec)) {
    target = std::filesystem::canonical(target, ec);
    if (ec) return Fail(ExitCode::kUsage, "cannot resolve symlink " + path + ": " + ec.message());
  }
  mode_t mode = 0600;
  struct stat st {};
  if (::stat(target.c_str(), &st) == 0) mode = st.st_mode & 07777;
  if (holds_secrets) mode &= ~static_cast<mode_t>(077);
  if (Status written = WriteFileAtomic(target.string(), contents, mode); !written) {
    return Fail(ExitCode::kUsage, written.error().message);
  }
  return {};
}

CliStatus MakePrivateDirectory(const std::string& dir) {
  std::filesystem::path p(dir);
  std::vector<std::filesystem::path> missing;
  std::error_code ec;
  for (auto q = p; !q.empty() && !std::filesystem::exists(q, ec); q = q.parent_path()) {
    missing.push_back(q);
    if (q == q.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0700) != 0 && errno != EEXIST) {
      return Fail(ExitCode::kUsage, "cannot create directory " + it->string() + ": " + Why(errno));
    }
  }
  return {};
}

}  // namespace latchkey::cli
