# Script mode: cmake -DINPUT_DIR=<dir> -DOUTPUT=<file.cc> -DBACKEND=<sqlite|postgres>
#                    -P embed_migrations.cmake
# Turns INPUT_DIR/NNNN_name.sql into a C++ table of raw string literals for one backend,
# checking that the versions run 1, 2, 3, ... without gaps.
#
# Each migration is written once for both backends; where their SQL differs it uses a token,
# which this script replaces with BACKEND's text:
#   @INT@   a 64-bit integer column type: SQLite INTEGER, PostgreSQL BIGINT
#   @BOOL@  a boolean column type: SQLite INTEGER, PostgreSQL BOOLEAN
#   @SEQ@   after a table's last column (before its table constraints): PostgreSQL appends
#           ",\n  seq BIGINT GENERATED ALWAYS AS IDENTITY" (insertion order, which SQLite's
#           rowid already keeps); SQLite nothing
#   {{sqlite text|postgres text}}  anything else that differs (within one line, no braces or
#           bars inside), e.g. `user_name TEXT NOT NULL{{ COLLATE NOCASE|}}`
# Tokens in comments are replaced too; keep comments free of them.
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
  if(NOT version EQUAL expected)
    message(FATAL_ERROR "migration ${name}: expected version ${expected}")
  endif()
  math(EXPR expected "${expected} + 1")
  file(READ "${file}" sql)
  if(BACKEND STREQUAL "sqlite")
    string(REPLACE "@INT@" "INTEGER" sql "${sql}")
    string(REPLACE "@BOOL@" "INTEGER" sql "${sql}")
    string(REPLACE "@SEQ@" "" sql "${sql}")
    string(REGEX REPLACE "{{([^{}|\n]*)\\|([^{}|\n]*)}}" "\\1" sql "${sql}")
  elseif(BACKEND STREQUAL "postgres")
    string(REPLACE "@INT@" "BIGINT" sql "${sql}")
    string(REPLACE "@BOOL@" "BOOLEAN" sql "${sql}")
    string(REPLACE "@SEQ@" ",\n  seq BIGINT GENERATED ALWAYS AS IDENTITY" sql "${sql}")
    string(REGEX REPLACE "{{([^{}|\n]*)\\|([^{}|\n]*)}}" "\\2" sql "${sql}")
  else()
    message(FATAL_ERROR "unknown BACKEND ${BACKEND}")
  endif()
  string(REGEX MATCH "@[A-Z]+@|{{|}}" leftover "${sql}")
  if(leftover)
    message(FATAL_ERROR "migration ${name}: unknown or malformed dialect token ${leftover}")
  endif()
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
"// Generated from src/store/migrations/*.sql for ${BACKEND} by src/store/embed_migrations.cmake.
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
