// The files of web/, compiled in by embed_web.cmake (the generated web_assets.cc).
#pragma once

#include <span>
#include <string_view>

namespace latchkey::web {

struct EmbeddedFile {
  std::string_view name;  // file name inside web/, e.g. "app.js"; never contains '/'
  std::string_view data;  // the bytes, not NUL-terminated
  std::string_view etag;  // quoted strong ETag from the file's SHA-256
};

// Every embedded file, sorted by name.
std::span<const EmbeddedFile> EmbeddedFiles();

}  // namespace latchkey::web
