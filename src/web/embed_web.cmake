# Script mode: cmake "-DFILES=<a;b;...>" -DOUTPUT=<file.cc> -P embed_web.cmake
# Writes a C++ table of the files' bytes, names (file name only) and SHA-256 based ETags,
# defining latchkey::web::EmbeddedFiles() (web_assets.h). The output is replaced only when its
# contents change, so an unrelated reconfigure does not rebuild it.
if(NOT FILES)
  message(FATAL_ERROR "embed_web.cmake: no files to embed")
endif()
set(arrays "")
set(entries "")
set(index 0)
foreach(file IN LISTS FILES)
  get_filename_component(name "${file}" NAME)
  if(NOT name MATCHES "^[A-Za-z0-9_.-]+$")
    message(FATAL_ERROR "embed_web.cmake: unsupported file name: ${name}")
  endif()
  file(READ "${file}" hex HEX)
  file(SHA256 "${file}" digest)
  string(SUBSTRING "${digest}" 0 32 etag)
  string(LENGTH "${hex}" hex_length)
  math(EXPR size "${hex_length} / 2")
  # '\xNN', 16 bytes a line: char literals keep the table a constant expression. (CMake
  # regexes have no {n} repetition, hence the loop over 32-hex-digit slices.)
  set(bytes "")
  set(offset 0)
  while(offset LESS hex_length)
    string(SUBSTRING "${hex}" ${offset} 32 slice)
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," slice "${slice}")
    string(APPEND bytes "    ${slice}\n")
    math(EXPR offset "${offset} + 32")
  endwhile()
  if(size EQUAL 0)
    set(bytes "    '\\0',\n")  # a zero-length array is not C++; size stays 0
  endif()
  string(APPEND arrays "// ${name}\nconstexpr char kFile${index}[] = {\n${bytes}};\n")
  string(APPEND entries "    {\"${name}\", {kFile${index}, ${size}}, \"\\\"${etag}\\\"\"},\n")
  math(EXPR index "${index} + 1")
endforeach()
file(WRITE "${OUTPUT}.tmp"
"// Generated from web/ by src/web/embed_web.cmake. Do not edit.
#include <span>
#include <string_view>

#include \"web/web_assets.h\"

namespace latchkey::web {
namespace {
${arrays}
constexpr EmbeddedFile kFiles[] = {
${entries}};
}  // namespace

std::span<const EmbeddedFile> EmbeddedFiles() { return kFiles; }

}  // namespace latchkey::web
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
