// Decoding helpers shared by the handlers: the JSON body (spec §1.1: JSON whatever the
// Content-Type), typed field access that names the offending field, and query parameters.
// Unknown fields are never an error (§1.4); JSON null counts as absent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "base/result.h"

namespace latchkey::workspace {

inline constexpr size_t kMaxJsonBodyBytes = 1 << 20;
inline constexpr int kMaxJsonDepth = 32;

// An empty (or all-whitespace) body is {}. kInvalidArgument when the body is not JSON, is
// larger than kMaxJsonBodyBytes, nests deeper than kMaxJsonDepth or is not an object.
Result<nlohmann::json> ParseJsonBody(std::string_view body);

// Each fails with kInvalidArgument naming the field when it is present with the wrong type.
Result<std::optional<std::string>> OptionalString(const nlohmann::json& object,
                                                  std::string_view field);
Result<std::string> RequiredString(const nlohmann::json& object, std::string_view field);
// An integer number within int64, or a string of decimal digits (Jackson coerces those too).
Result<std::optional<int64_t>> OptionalInt64(const nlohmann::json& object,
                                             std::string_view field);
// A JSON boolean or the strings "true"/"false" (any case).
Result<std::optional<bool>> OptionalBool(const nlohmann::json& object, std::string_view field);
Result<std::optional<std::vector<std::string>>> OptionalStringArray(const nlohmann::json& object,
                                                                    std::string_view field);

// Parses decimal int64 text (optional leading '-'); nullopt on anything else or overflow.
std::optional<int64_t> ParseInt64(std::string_view text);

// The query string as fields. kInvalidArgument on a malformed percent escape.
Result<FormFields> ParseQuery(std::string_view query);
// First value of `name`, or nullopt.
std::optional<std::string> FindField(const FormFields& fields, std::string_view name);

}  // namespace latchkey::workspace
