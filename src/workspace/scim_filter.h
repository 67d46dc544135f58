// SCIM filters (RFC 7644 §3.4.2.2), the subset clients send (spec §7.3): `attr op value`
// with op eq, ne, co, sw, ew (and `attr pr`), joined by and/or, with not(...) and
// parentheses; values double-quoted, single-quoted (Terraform) or bare (`displayName eq
// admins`). Keywords, attribute names and string comparisons are case-insensitive ([U]
// advisable per §7.3). Immutable after parsing; thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace latchkey::workspace {

class ScimFilter {
 public:
  // Attribute value of the resource being tested (already lower-cased attribute name), or
  // nullopt when the resource has no such value.
  using Getter = std::function<std::optional<std::string>(std::string_view attribute)>;

  // kInvalidArgument (message says why) for a syntax error, an attribute not in `attributes`
  // (compared case-insensitively) or a filter longer than 2000 characters.
  static Result<ScimFilter> Parse(std::string_view text,
                                  const std::vector<std::string>& attributes);

  bool Matches(const Getter& get) const;

  struct Node;

 private:
  explicit ScimFilter(std::shared_ptr<const Node> root) : root_(std::move(root)) {}
  std::shared_ptr<const Node> root_;
};

}  // namespace latchkey::workspace
