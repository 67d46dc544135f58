// Formats of the workspace's secrets and ids (spec §3.1, §8.5). PAT: "dapi" + 32 lowercase hex
// (128 CSPRNG bits), so secret scanners that know Databricks tokens catch leaked ones; an Azure
// style "-<digits>" suffix is accepted on input. token_id = hex SHA-256 of the whole value;
// only that hash is stored. OAuth secret: "dose" + 32 lowercase hex, stored as SHA-256 only.
#pragma once

#include <string>
#include <string_view>

#include "base/random.h"
#include "base/secret.h"

namespace latchkey::auth {

Secret GeneratePat(Random& random);
bool LooksLikePat(std::string_view value);
Secret GenerateOAuthSecret(Random& random);

// Hex SHA-256 of a PAT or secret value.
std::string HashSecretValue(std::string_view value);
// 64 lowercase hex digits.
bool IsTokenId(std::string_view id);
// `id` when it is a well-formed token id, else "<malformed>": a caller that pastes a token
// value where an id belongs must not see it echoed in an error or a log line.
std::string PrintableTokenId(std::string_view id);

}  // namespace latchkey::auth
