// Durable file writes for key material and configuration (`latchkeyd init`, key rotation) and
// the CLI's own files (~/.databrickscfg, token caches). Thread-safe as far as the file system
// is; concurrent writers of one path each leave a complete file, the last rename wins.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "base/result.h"

namespace latchkey {

// Writes `content` to `path` atomically with mode 0600 from the moment the file exists:
// a uniquely named temporary file in the same directory (created O_CREAT|O_EXCL, mode 0600),
// write, fsync, rename over `path`, fsync of the directory. On failure `path` is untouched and
// the temporary file removed. kNotFound if the directory does not exist, kPermissionDenied if
// it is not writable, kInternal for other I/O errors.
Status WritePrivateFile(const std::string& path, std::string_view content);

// As WritePrivateFile, but the final file gets `mode` (applied before the rename, so the file
// is never visible at `path` with other permissions).
Status WriteFileAtomic(const std::string& path, std::string_view content, mode_t mode);

// Reads a whole regular file. kNotFound, kPermissionDenied, or kInvalidArgument for a file
// larger than 64 MiB or not a regular file.
Result<std::string> ReadFile(const std::string& path);

}  // namespace latchkey
