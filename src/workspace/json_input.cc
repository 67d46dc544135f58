#include "workspace/json_input.h"

#include <charconv>
#include <limits>

namespace latchkey::workspace {
namespace {

using nlohmann::json;

const json* Find(const json& object, std::string_view field) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(std::string(field));
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

std::unexpected<Error> WrongType(std::string_view field, std::string_view expected) {
  return MakeError(ErrorCode::kInvalidArgument, "Invalid value for field '" + std::string(field) +
                                                    "': expected " + std::string(expected) + ".");
}

}  // namespace

Result<json> ParseJsonBody(std::string_view body) {
  if (body.size() > kMaxJsonBodyBytes) {
    return MakeError(ErrorCode::kInvalidArgument, "Request body is too large.");
  }
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return json::object();
  bool too_deep = false;
  json::parser_callback_t depth_check = [&too_deep](int depth, json::parse_event_t, json&) {
    if (depth > kMaxJsonDepth) too_deep = true;
    return !too_deep;
  };
  json parsed = json::parse(body.begin(), body.end(), depth_check, /*allow_exceptions=*/false);
  if (too_deep) {
    return MakeError(ErrorCode::kInvalidArgument, "Request body nests too deeply.");
  }
  if (parsed.is_discarded()) {
    return MakeError(ErrorCode::kInvalidArgument, "Request body is not valid JSON.");
  }
  if (!parsed.is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, "Request body must be a JSON object.");
  }
  return parsed;
}

Result<std::optional<std::string>> OptionalString(const json& object, std::string_view field) {
  const json* value = Find(object, field);
  if (value == nullptr) return std::optional<std::string>();
  if (!value->is_string()) return WrongType(field, "a string");
  return std::optional<std::string>(value->get<std::string>());
}

Result<std::string> RequiredString(const json& object, std::string_view field) {
  Result<std::optional<std::string>> value = OptionalString(object, field);
  if (!value) return std::unexpected(value.error());
  if (!value->has_value() || (*value)->empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "Missing required field '" + std::string(field) + "'.");
  }
  return std::move(**value);
}

std::optional<int64_t> ParseInt64(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int64_t out = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return out;
}

Result<std::optional<int64_t>> OptionalInt64(const json& object, std::string_view field) {
  const json* value = Find(object, field);
  if (value == nullptr) return std::optional<int64_t>();
  if (value->is_number_unsigned()) {
    uint64_t u = value->get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return WrongType(field, "an integer within int64");
    }
    return std::optional<int64_t>(static_cast<int64_t>(u));
  }
  if (value->is_number_integer()) return std::optional<int64_t>(value->get<int64_t>());
  if (value->is_string()) {
    std::optional<int64_t> parsed = ParseInt64(value->get_ref<const std::string&>());
    if (parsed) return parsed;
  }
  return WrongType(field, "an integer within int64");
}

Result<std::optional<bool>> OptionalBool(const json& object, std::string_view field) {
  const json* value = Find(object, field);
  if (value == nullptr) return std::optional<bool>();
  if (value->is_boolean()) return std::optional<bool>(value->get<bool>());
  if (value->is_string()) {
    const std::string& s = value->get_ref<const std::string&>();
    if (IEquals(s, "true")) return std::optional<bool>(true);
    if (IEquals(s, "false")) return std::optional<bool>(false);
  }
  return WrongType(field, "a boolean");
}

Result<std::optional<std::vector<std::string>>> OptionalStringArray(const json& object,
                                                                    std::string_view field) {
  const json* value = Find(object, field);
  if (value == nullptr) return std::optional<std::vector<std::string>>();
  if (!value->is_array()) return WrongType(field, "an array of strings");
  std::vector<std::string> out;
  for (const json& item : *value) {
    if (!item.is_string()) return WrongType(field, "an array of strings");
    out.push_back(item.get<std::string>());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

Result<FormFields> ParseQuery(std::string_view query) {
  std::optional<FormFields> fields = ParseForm(query);
  if (!fields) return MakeError(ErrorCode::kInvalidArgument, "Malformed query string.");
  return std::move(*fields);
}

std::optional<std::string> FindField(const FormFields& fields, std::string_view name) {
  const std::string* value = FindFormField(fields, name);
  if (value == nullptr) return std::nullopt;
  return *value;
}

}  // namespace latchkey::workspace
