# Script mode: cmake -DINPUT_DIR=<dir> -DOUTPUT=<file.cc> -DBACKEND=<name> -P embed_migrations.cmake
# Turns INPUT_DIR/NNNN_name.sql into a C++ table of raw string literals, checking that the
# versions start at 1 and increase. A gap is allowed while parallel branches hold numbers
# assigned to them (0004 dbfed, 0005 sso, 0006 offload) that have not been merged yet.
file(GLOB files ${INPUT_DIR}/*.sql)
list(SORT files)
set(delim "latchkey_sql")
set(entries "")
set(expected 1)
foreach(file IN LISTS files)
  get_filename_component(name "${file}" NAME)
  if(NOT name MATCHES "^([0-9][0-9][0-9][0-9])_[a-z0-9_]+\\.sql$")
    message(FATAL_ERROR "migration file name must be NNNN_name.sql: ${name}")
  endif()
  string(REGEX REPLACE "^0+" "" version "${CMAKE_MATCH_1}")
  if(version LESS expected OR (expected EQUAL 1 AND NOT version EQUAL 1))
    message(FATAL_ERROR "migration ${name}: expected version ${expected} or above")
  endif()
  math(EXPR expected "${version} + 1")
  file(READ "${file}" sql)
  string(FIND "${sql}" ")${delim}\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "migration ${name} contains the raw string delimiter")
  endif()
  string(APPEND entries "    {${version}, \"${name}\", R\"${delim}(${sql})${delim}\"},\n")
endforeach()
if(expected EQUAL 1)
  message(FATAL_ERROR "no migrations in ${INPUT_DIR}")
endif()
file(WRITE "${OUTPUT}.tmp"
"// Generated from src/store/${BACKEND}/migrations/*.sql by src/store/embed_migrations.cmake.
// Do not edit.
#include <span>

#include \"store/migration.h\"

namespace latchkey::store::${BACKEND} {
namespace {
constexpr Migration kMigrations[] = {
${entries}};
}  // namespace

std::span<const Migration> Migrations() { return kMigrations; }

}  // namespace latchkey::store::${BACKEND}
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
