#include "store/sql/session.h"

#include <string>
#include <utility>

namespace latchkey::store::sql {

std::string Translate(std::string_view sql, const Dialect& dialect) {
  std::string out;
  out.reserve(sql.size() + 16);
  int placeholder = 0;
  bool quoted = false;
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (c == '\'') quoted = !quoted;
    if (!quoted && c == '?' && dialect.postgres()) {
      out += '$';
      out += std::to_string(++placeholder);
      continue;
    }
    if (!quoted && c == '{') {
      std::string_view rest = sql.substr(i);
      if (rest.starts_with("{seq}")) {
        out += dialect.postgres() ? "seq" : "rowid";
        i += 4;
        continue;
      }
      if (rest.starts_with("{for_update}")) {
        if (dialect.postgres()) out += " FOR UPDATE";
        i += 11;
        continue;
      }
    }
    out += c;
  }
  return out;
}

Statement& Statement::Add(Param param) {
  if (count_ == kMaxParams) {
    if (!error_) error_ = Error{ErrorCode::kInternal, "sql: too many parameters"};
    return *this;
  }
  params_[count_++] = param;
  return *this;
}

Statement& Statement::Bind(std::string&& value) {
  owned_.push_front(std::move(value));
  return Bind(std::string_view(owned_.front()));
}

Statement& Statement::Bind(std::optional<TimePoint> value) {
  if (value) return Bind(*value);
  return Add({Param::Kind::kNull, 0, {}});
}

Statement& Statement::Bind(const std::vector<std::string>& values) {
  Result<std::string> json = EncodeStrings(values);
  if (!json) {
    if (!error_) error_ = std::move(json).error();
    return Add({Param::Kind::kText, 0, "[]"});
  }
  return Bind(std::move(*json));
}

Result<int64_t> Statement::Execute(FunctionRef<Status(const Row&)> on_row, bool first_row_only) {
  if (error_) return std::unexpected(*error_);
  return session_.Execute(sql_, std::span<const Param>(params_.data(), count_), on_row,
                          first_row_only);
}

Status Statement::Run() {
  Result<int64_t> ran = Execute([](const Row&) -> Status { return Ok(); });
  if (!ran) return std::unexpected(std::move(ran).error());
  return Ok();
}

Result<int64_t> Statement::Update() {
  return Execute([](const Row&) -> Status { return Ok(); });
}

Status Statement::RequireCountBelow(int64_t max, std::string_view exhausted) {
  Result<int64_t> count = One(IntFromRow, "count");
  if (!count) return std::unexpected(std::move(count).error());
  if (*count >= max) return MakeError(ErrorCode::kResourceExhausted, std::string(exhausted));
  return Ok();
}

Status Statement::UpdateExisting(std::string_view what) {
  Result<int64_t> changed = Update();
  if (!changed) return std::unexpected(std::move(changed).error());
  if (*changed == 0) return MakeError(ErrorCode::kNotFound, std::string(what) + " not found");
  return Ok();
}

}  // namespace latchkey::store::sql
