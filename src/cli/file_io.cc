#include "cli/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

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

  std::string tmp_name = target.string() + ".tmp.XXXXXX";
  std::vector<char> tmp(tmp_name.begin(), tmp_name.end());
  tmp.push_back('\0');
  const int fd = ::mkstemp(tmp.data());  // created with mode 0600
  if (fd < 0) return Fail(ExitCode::kUsage, "cannot write " + path + ": " + Why(errno));
  const std::string tmp_path(tmp.data());
  auto fail = [&](const std::string& what) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp_path.c_str());
    return Fail(ExitCode::kUsage, "cannot " + what + " " + path + ": " + Why(err));
  };
  size_t written = 0;
  while (written < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write");
    }
    written += static_cast<size_t>(n);
  }
  if (::fchmod(fd, mode) != 0) return fail("chmod");
  if (::fsync(fd) != 0) return fail("sync");
  if (::close(fd) != 0) {
    ::unlink(tmp_path.c_str());
    return Fail(ExitCode::kUsage, "cannot write " + path + ": " + Why(errno));
  }
  if (::rename(tmp_path.c_str(), target.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp_path.c_str());
    return Fail(ExitCode::kUsage, "cannot replace " + path + ": " + Why(err));
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
