#include "cli/output.h"

#include <algorithm>
#include <charconv>
#include <ctime>

#include "base/clock.h"

namespace latchkey::cli {
namespace {

std::string Dump(const Json& value, int indent) {
  return value.dump(indent, ' ', false, Json::error_handler_t::replace);
}

std::string Millis(const Json& value) {
  if (!value.is_number_integer()) return value.is_null() ? "" : Dump(value, -1);
  const long long ms = value.get<long long>();
  if (ms < 0) return "never";
  return Rfc3339Utc(FromUnixSeconds(ms / 1000));
}

std::string Levels(const Json& value) {
  if (!value.is_array()) return "";
  std::string out;
  for (const Json& p : value) {
    if (!p.is_object() || !p.contains("permission_level")) continue;
    out += (out.empty() ? "" : ",") + Dump(p["permission_level"], -1);
  }
  std::erase(out, '"');
  return out;
}

std::string Scalar(const Json& value) {
  if (value.is_null()) return "";
  if (value.is_string()) return value.get<std::string>();
  return Dump(value, -1);
}

const Json* Lookup(const Json& row, std::string_view path) {
  const Json* node = &row;
  while (!path.empty()) {
    const size_t dot = path.find('.');
    const std::string key(path.substr(0, dot));
    if (!node->is_object() || !node->contains(key)) return nullptr;
    node = &(*node)[key];
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
  }
  return node;
}

std::vector<Column> AutoColumns(const std::vector<Json>& rows) {
  std::vector<Column> columns;
  if (rows.empty()) return columns;
  if (!rows.front().is_object()) return {Column{"VALUE", "", Column::Kind::kPlain}};
  for (const auto& [key, value] : rows.front().items()) {
    if (value.is_structured()) continue;
    std::string header = key;
    std::ranges::transform(header, header.begin(), [](unsigned char c) { return std::toupper(c); });
    columns.push_back(Column{header, key, Column::Kind::kPlain});
  }
  return columns;
}

std::vector<std::vector<std::string>> Cells(const std::vector<Json>& rows,
                                            const std::vector<Column>& columns) {
  std::vector<std::vector<std::string>> cells;
  for (const Json& row : rows) {
    std::vector<std::string> line;
    for (const Column& c : columns) {
      const Json* v = Lookup(row, c.path);
      if (v == nullptr) {
        line.emplace_back();
      } else {
        switch (c.kind) {
          case Column::Kind::kMillis: line.push_back(Millis(*v)); break;
          case Column::Kind::kLevels: line.push_back(Levels(*v)); break;
          case Column::Kind::kPlain: line.push_back(Scalar(*v)); break;
        }
      }
    }
    cells.push_back(std::move(line));
  }
  return cells;
}

}  // namespace

CliResult<OutputFormat> ParseOutputFormat(std::string_view name) {
  if (name == "json") return OutputFormat::kJson;
  if (name == "table") return OutputFormat::kTable;
  if (name == "text" || name == "tsv") return OutputFormat::kText;
  return Fail(ExitCode::kUsage, "unknown output format '" + std::string(name) +
                                    "' (use json, table or text)");
}

CliResult<Json> ApplyQuery(const Json& value, std::string_view query) {
  if (query.size() >= 2 && query.front() == '"' && query.back() == '"') {
    query = query.substr(1, query.size() - 2);
  }
  if (query.empty()) return value;
  const size_t end = query.find_first_of(".[");
  const std::string_view head = query.substr(0, end);
  std::string_view rest = end == std::string_view::npos ? "" : query.substr(end);
  Json current = value;
  if (!head.empty()) {
    current = value.is_object() && value.contains(std::string(head)) ? value[std::string(head)]
                                                                      : Json();
  }
  if (rest.empty()) return current;
  if (rest.front() == '.') return ApplyQuery(current, rest.substr(1));
  const size_t close = rest.find(']');
  if (close == std::string_view::npos) {
    return Fail(ExitCode::kUsage, "cannot parse --query " + std::string(query));
  }
  const std::string_view index = rest.substr(1, close - 1);
  rest = rest.substr(close + 1);
  if (!rest.empty() && rest.front() == '.') rest.remove_prefix(1);
  if (index.empty()) {  // projection: apply the rest to every element
    Json out = Json::array();
    if (!current.is_array()) return Json();
    for (const Json& element : current) {
      CliResult<Json> mapped = ApplyQuery(element, rest);
      if (!mapped) return mapped;
      if (!mapped->is_null()) out.push_back(*mapped);
    }
    return out;
  }
  long long i = 0;
  auto [ptr, ec] = std::from_chars(index.data(), index.data() + index.size(), i);
  if (ec != std::errc() || ptr != index.data() + index.size()) {
    return Fail(ExitCode::kUsage, "cannot parse --query " + std::string(query));
  }
  if (!current.is_array()) return Json();
  if (i < 0) i += static_cast<long long>(current.size());
  if (i < 0 || i >= static_cast<long long>(current.size())) return Json();
  return ApplyQuery(current[static_cast<size_t>(i)], rest);
}

std::string Render(const Json& value, OutputFormat format, const TableSpec& spec) {
  if (value.is_null()) return "";
  if (format == OutputFormat::kJson) return Dump(value, 2) + "\n";
  if (!value.is_structured()) return Scalar(value) + "\n";

  std::vector<Json> rows;
  const Json* list = &value;
  if (!spec.rows.empty() && value.is_object()) list = Lookup(value, spec.rows);
  if (list != nullptr && list->is_array()) {
    rows.assign(list->begin(), list->end());
  } else if (list != nullptr) {
    rows.push_back(*list);
  }
  const std::vector<Column> columns = spec.columns.empty() ? AutoColumns(rows) : spec.columns;
  const auto cells = Cells(rows, columns);

  std::string out;
  if (format == OutputFormat::kText) {
    for (const auto& line : cells) {
      for (size_t i = 0; i < line.size(); ++i) out += (i ? "\t" : "") + line[i];
      out += '\n';
    }
    return out;
  }
  std::vector<size_t> width(columns.size());
  for (size_t i = 0; i < columns.size(); ++i) width[i] = columns[i].header.size();
  for (const auto& line : cells) {
    for (size_t i = 0; i < line.size(); ++i) width[i] = std::max(width[i], line[i].size());
  }
  auto emit = [&](const std::vector<std::string>& line) {
    std::string text;
    for (size_t i = 0; i < line.size(); ++i) {
      text += line[i];
      if (i + 1 < line.size()) text += std::string(width[i] - line[i].size() + 2, ' ');
    }
    out += text + "\n";
  };
  std::vector<std::string> headers;
  for (const Column& c : columns) headers.push_back(c.header);
  emit(headers);
  for (const auto& line : cells) emit(line);
  return out;
}

}  // namespace latchkey::cli
