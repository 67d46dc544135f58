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

std::string_view PrincipalKindName(PrincipalKind kind) {
  switch (kind) {
    case PrincipalKind::kUser:
      return "user";
    case PrincipalKind::kServicePrincipal:
      return "service_principal";
  }
  return "user";
}

Result<PrincipalKind> ParsePrincipalKind(std::string_view name) {
  if (name == "user") return PrincipalKind::kUser;
  if (name == "service_principal") return PrincipalKind::kServicePrincipal;
  return MakeError(ErrorCode::kInternal, "corrupt principal kind column");
}

std::string_view AclSubjectKindName(AclSubjectKind kind) {
  switch (kind) {
    case AclSubjectKind::kUser:
      return "user";
    case AclSubjectKind::kGroup:
      return "group";
    case AclSubjectKind::kServicePrincipal:
      return "service_principal";
  }
  return "user";
}

Result<AclSubjectKind> ParseAclSubjectKind(std::string_view name) {
  if (name == "user") return AclSubjectKind::kUser;
  if (name == "group") return AclSubjectKind::kGroup;
  if (name == "service_principal") return AclSubjectKind::kServicePrincipal;
  return MakeError(ErrorCode::kInternal, "corrupt subject kind column");
}

}  // namespace latchkey::store::sql
