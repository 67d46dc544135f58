#include "base/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace latchkey {
namespace {

constexpr off_t kMaxReadSize = 64 << 20;

// Owns a file descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Close(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Close() {
    const int rc = fd_ >= 0 ? ::close(fd_) : 0;
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

std::unexpected<Error> IoError(std::string_view what, const std::string& path, int err) {
  ErrorCode code = ErrorCode::kInternal;
  if (err == ENOENT || err == ENOTDIR) code = ErrorCode::kNotFound;
  if (err == EACCES || err == EPERM || err == EROFS) code = ErrorCode::kPermissionDenied;
  return MakeError(code, std::string(what) + " " + path + ": " + std::strerror(err));
}

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

bool WriteAll(int fd, std::string_view content) {
  while (!content.empty()) {
    const ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    content.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

Status WritePrivateFile(const std::string& path, std::string_view content) {
  return WriteFileAtomic(path, content, 0600);
}

Status WriteFileAtomic(const std::string& path, std::string_view content, mode_t mode) {
  // mkostemp opens with O_CREAT|O_EXCL and mode 0600, so the content is never readable by
  // others, whatever the umask; the final mode is set on the descriptor before the rename.
  std::string temp = path + ".tmp.XXXXXX";
  Fd fd(::mkostemp(temp.data(), O_CLOEXEC));
  if (!fd.valid()) return IoError("cannot create temporary file for", path, errno);
  auto fail = [&](std::string_view what) {
    const int err = errno;
    fd.Close();
    ::unlink(temp.c_str());
    return IoError(what, path, err);
  };
  if (::fchmod(fd.get(), mode) != 0) return fail("cannot set mode of");
  if (!WriteAll(fd.get(), content)) return fail("cannot write");
  if (::fsync(fd.get()) != 0) return fail("cannot fsync");
  if (fd.Close() != 0) return fail("cannot close");
  if (::rename(temp.c_str(), path.c_str()) != 0) return fail("cannot rename onto");
  // The rename is durable only once the directory entry is.
  Fd dir(::open(DirectoryOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid() || ::fsync(dir.get()) != 0) {
    return IoError("cannot fsync directory of", path, errno);
  }
  return Ok();
}

Result<std::string> ReadFile(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return IoError("cannot open", path, errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return IoError("cannot stat", path, errno);
  if (!S_ISREG(st.st_mode) || st.st_size > kMaxReadSize) {
    return MakeError(ErrorCode::kInvalidArgument, "not a regular file under 64 MiB: " + path);
  }
  std::string content;
  content.reserve(static_cast<size_t>(st.st_size));
  char buffer[16384];
  while (true) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("cannot read", path, errno);
    if (n == 0) break;
    content.append(buffer, static_cast<size_t>(n));
    if (content.size() > static_cast<size_t>(kMaxReadSize)) {
      return MakeError(ErrorCode::kInvalidArgument, "file larger than 64 MiB: " + path);
    }
  }
  return content;
}

}  // namespace latchkey
