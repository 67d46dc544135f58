// Column encodings shared by both backends' tables: string lists as JSON arrays, enums as the
// lowercase names the schema's CHECK constraints list.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/records.h"

namespace latchkey::store::sql {

// kInvalidArgument if a string is not valid UTF-8.
Result<std::string> EncodeStrings(const std::vector<std::string>& values);
// kInternal if `json` is not an array of strings (a corrupt row).
Result<std::vector<std::string>> DecodeStrings(std::string_view json);

std::string_view PrincipalKindName(PrincipalKind kind);
Result<PrincipalKind> ParsePrincipalKind(std::string_view name);

std::string_view AclSubjectKindName(AclSubjectKind kind);
Result<AclSubjectKind> ParseAclSubjectKind(std::string_view name);

}  // namespace latchkey::store::sql
