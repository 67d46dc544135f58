// Rendering of command results. JSON (the default) is the server's answer, pretty-printed with
// its key order kept, so `jq -r .token_value` works; `table` is for people; `text` (alias `tsv`)
// prints tab-separated values without a header, for shell scripts (as az's tsv).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cli/api_client.h"
#include "cli/cli_error.h"

namespace latchkey::cli {

enum class OutputFormat { kJson, kTable, kText };

// "json", "table", "text" or "tsv"; kUsage otherwise.
CliResult<OutputFormat> ParseOutputFormat(std::string_view name);

struct Column {
  // kMillis: epoch ms shown as UTC ISO 8601, -1 as "never"; kLevels: the permission_level of
  // each element of an all_permissions array, comma-separated.
  enum class Kind { kPlain, kMillis, kLevels };
  std::string header;
  std::string path;  // dotted path inside a row, e.g. "token_info.token_id"
  Kind kind = Kind::kPlain;
};

// How a result becomes rows and columns for `table` and `text`.
struct TableSpec {
  std::string rows;             // key of the array to list; "" = the value itself
  std::vector<Column> columns;  // empty = the scalar fields of the first row
};

// A small JMESPath subset for --query: `a`, `a.b`, `a[0]`, `a[].b`, optionally in double
// quotes (az style). Missing fields give null. kUsage for a query it cannot parse.
CliResult<Json> ApplyQuery(const Json& value, std::string_view query);

// The text to print for `value` (ends with a newline unless empty; a null value prints nothing).
std::string Render(const Json& value, OutputFormat format, const TableSpec& spec);

}  // namespace latchkey::cli
