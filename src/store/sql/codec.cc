#include "store/sql/codec.h"

#include <nlohmann/json.hpp>
#include <string>
#include <utility>

namespace latchkey::store::sql {

Result<std::string> EncodeStrings(const std::vector<std::string>& values) {
  // nlohmann::json throws type_error 316 on invalid UTF-8; catch it here, at the boundary.
  try {
    return nlohmann::json(values).dump();
  } catch (const nlohmann::json::exception&) {
    return MakeError(ErrorCode::kInvalidArgument, "string list is not valid UTF-8");
  }
}

Result<std::vector<std::string>> DecodeStrings(std::string_view json) {
  nlohmann::json parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_array()) return MakeError(ErrorCode::kInternal, "corrupt string list column");
  std::vector<std::string> out;
  out.reserve(parsed.size());
  for (nlohmann::json& item : parsed) {
    if (!item.is_string()) return MakeError(ErrorCode::kInternal, "corrupt string list column");
    out.push_back(std::move(item.get_ref<std::string&>()));
  }
  return out;
}

namespace {

// Each enum's names as the schema's CHECK constraints list them; the first is also the name of
// a value missing from the table.
template <class Enum>
using NameTable = std::pair<Enum, std::string_view>;

constexpr NameTable<PrincipalKind> kPrincipalKinds[] = {
    {PrincipalKind::kUser, "user"},
    {PrincipalKind::kServicePrincipal, "service_principal"},
};
constexpr NameTable<AclSubjectKind> kAclSubjectKinds[] = {
    {AclSubjectKind::kUser, "user"},
    {AclSubjectKind::kGroup, "group"},
    {AclSubjectKind::kServicePrincipal, "service_principal"},
};

template <class Enum, size_t N>
std::string_view NameIn(const NameTable<Enum> (&table)[N], Enum value) {
  for (const auto& [known, name] : table) {
    if (known == value) return name;
  }
  return table[0].second;
}

// kInternal `corrupt` for a name the table does not hold (a corrupt row).
template <class Enum, size_t N>
Result<Enum> ParseIn(const NameTable<Enum> (&table)[N], std::string_view name,
                     const char* corrupt) {
  for (const auto& [value, known] : table) {
    if (known == name) return value;
  }
  return MakeError(ErrorCode::kInternal, corrupt);
}

}  // namespace

std::string_view PrincipalKindName(PrincipalKind kind) { return NameIn(kPrincipalKinds, kind); }

Result<PrincipalKind> ParsePrincipalKind(std::string_view name) {
  return ParseIn(kPrincipalKinds, name, "corrupt principal kind column");
}

std::string_view AclSubjectKindName(AclSubjectKind kind) { return NameIn(kAclSubjectKinds, kind); }

Result<AclSubjectKind> ParseAclSubjectKind(std::string_view name) {
  return ParseIn(kAclSubjectKinds, name, "corrupt subject kind column");
}

}  // namespace latchkey::store::sql
