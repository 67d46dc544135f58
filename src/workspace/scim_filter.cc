#include "workspace/scim_filter.h"

#include <algorithm>

#include "base/encoding.h"

namespace latchkey::workspace {

enum class FilterOp { kEq, kNe, kCo, kSw, kEw, kPr };

struct ScimFilter::Node {
  enum class Kind { kCompare, kAnd, kOr, kNot } kind = Kind::kCompare;
  std::string attribute;  // lower case
  FilterOp op = FilterOp::kEq;
  std::string value;  // lower case
  std::shared_ptr<const Node> left, right;
};

namespace {

using Node = ScimFilter::Node;
using NodePtr = std::shared_ptr<const Node>;

constexpr size_t kMaxFilterLength = 2000;
constexpr int kMaxDepth = 16;

struct Token {
  enum class Kind { kWord, kString, kOpen, kClose, kEnd } kind = Kind::kEnd;
  std::string text;
};

class Parser {
 public:
  Parser(std::string_view text, const std::vector<std::string>& attributes)
      : text_(text), attributes_(attributes) {}

  Result<NodePtr> ParseAll() {
    if (Status s = Advance(); !s) return std::unexpected(s.error());
    Result<NodePtr> root = ParseOr(0);
    if (!root) return root;
    if (current_.kind != Token::Kind::kEnd) return Fail("unexpected text after the expression");
    return root;
  }

 private:
  std::unexpected<Error> Fail(std::string why) {
    return MakeError(ErrorCode::kInvalidArgument, "Invalid filter: " + why + ".");
  }

  Status Advance() {
    while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
    if (pos_ >= text_.size()) {
      current_ = {Token::Kind::kEnd, ""};
      return Ok();
    }
    char c = text_[pos_];
    if (c == '(' || c == ')') {
      current_ = {c == '(' ? Token::Kind::kOpen : Token::Kind::kClose, std::string(1, c)};
      ++pos_;
      return Ok();
    }
    if (c == '"' || c == '\'') {
      std::string value;
      for (++pos_; pos_ < text_.size() && text_[pos_] != c; ++pos_) {
        if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;
        value += text_[pos_];
      }
      if (pos_ >= text_.size()) return Fail("unterminated string");
      ++pos_;
      current_ = {Token::Kind::kString, std::move(value)};
      return Ok();
    }
    size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != ' ' && text_[pos_] != '(' && text_[pos_] != ')') {
      ++pos_;
    }
    current_ = {Token::Kind::kWord, std::string(text_.substr(start, pos_ - start))};
    return Ok();
  }

  bool AtKeyword(std::string_view keyword) const {
    return current_.kind == Token::Kind::kWord && IEquals(current_.text, keyword);
  }

  Result<NodePtr> ParseOr(int depth) {
    Result<NodePtr> left = ParseAnd(depth);
    while (left && AtKeyword("or")) {
      if (Status s = Advance(); !s) return std::unexpected(s.error());
      Result<NodePtr> right = ParseAnd(depth);
      if (!right) return right;
      left = Combine(Node::Kind::kOr, *left, *right);
    }
    return left;
  }

  Result<NodePtr> ParseAnd(int depth) {
    Result<NodePtr> left = ParseFactor(depth);
    while (left && AtKeyword("and")) {
      if (Status s = Advance(); !s) return std::unexpected(s.error());
      Result<NodePtr> right = ParseFactor(depth);
      if (!right) return right;
      left = Combine(Node::Kind::kAnd, *left, *right);
    }
    return left;
  }

  static NodePtr Combine(Node::Kind kind, NodePtr left, NodePtr right) {
    auto node = std::make_shared<Node>();
    node->kind = kind;
    node->left = std::move(left);
    node->right = std::move(right);
    return node;
  }

  Result<NodePtr> ParseFactor(int depth) {
    if (depth > kMaxDepth) return Fail("nested too deeply");
    bool negate = false;
    if (AtKeyword("not")) {
      negate = true;
      if (Status s = Advance(); !s) return std::unexpected(s.error());
      if (current_.kind != Token::Kind::kOpen) return Fail("'not' must be followed by '('");
    }
    Result<NodePtr> inner = MakeError(ErrorCode::kInvalidArgument, "");
    if (current_.kind == Token::Kind::kOpen) {
      if (Status s = Advance(); !s) return std::unexpected(s.error());
      inner = ParseOr(depth + 1);
      if (!inner) return inner;
      if (current_.kind != Token::Kind::kClose) return Fail("missing ')'");
      if (Status s = Advance(); !s) return std::unexpected(s.error());
    } else {
      inner = ParseComparison();
      if (!inner) return inner;
    }
    if (!negate) return inner;
    auto node = std::make_shared<Node>();
    node->kind = Node::Kind::kNot;
    node->left = std::move(*inner);
    return NodePtr(node);
  }

  Result<NodePtr> ParseComparison() {
    if (current_.kind != Token::Kind::kWord) return Fail("expected an attribute name");
    auto node = std::make_shared<Node>();
    node->attribute = AsciiLower(current_.text);
    bool known = std::any_of(attributes_.begin(), attributes_.end(),
                             [&](const std::string& a) { return IEquals(a, node->attribute); });
    if (!known) return Fail("unsupported attribute '" + current_.text + "'");
    if (Status s = Advance(); !s) return std::unexpected(s.error());
    if (current_.kind != Token::Kind::kWord) return Fail("expected an operator");
    static constexpr std::pair<const char*, FilterOp> kOps[] = {
        {"eq", FilterOp::kEq}, {"ne", FilterOp::kNe}, {"co", FilterOp::kCo},
        {"sw", FilterOp::kSw}, {"ew", FilterOp::kEw}, {"pr", FilterOp::kPr}};
    auto op = std::find_if(std::begin(kOps), std::end(kOps),
                           [&](const auto& o) { return IEquals(o.first, current_.text); });
    if (op == std::end(kOps)) return Fail("unsupported operator '" + current_.text + "'");
    node->op = op->second;
    if (Status s = Advance(); !s) return std::unexpected(s.error());
    if (node->op == FilterOp::kPr) return NodePtr(node);
    if (current_.kind != Token::Kind::kWord && current_.kind != Token::Kind::kString) {
      return Fail("expected a value");
    }
    node->value = AsciiLower(current_.text);
    if (Status s = Advance(); !s) return std::unexpected(s.error());
    return NodePtr(node);
  }

  std::string_view text_;
  const std::vector<std::string>& attributes_;
  size_t pos_ = 0;
  Token current_;
};

bool Evaluate(const Node& node, const ScimFilter::Getter& get) {
  switch (node.kind) {
    case Node::Kind::kAnd: return Evaluate(*node.left, get) && Evaluate(*node.right, get);
    case Node::Kind::kOr: return Evaluate(*node.left, get) || Evaluate(*node.right, get);
    case Node::Kind::kNot: return !Evaluate(*node.left, get);
    case Node::Kind::kCompare: break;
  }
  std::optional<std::string> actual = get(node.attribute);
  if (node.op == FilterOp::kPr) return actual.has_value() && !actual->empty();
  if (!actual) return node.op == FilterOp::kNe;
  std::string value = AsciiLower(*actual);
  switch (node.op) {
    case FilterOp::kEq: return value == node.value;
    case FilterOp::kNe: return value != node.value;
    case FilterOp::kCo: return value.find(node.value) != std::string::npos;
    case FilterOp::kSw: return value.starts_with(node.value);
    case FilterOp::kEw: return value.ends_with(node.value);
    case FilterOp::kPr: break;
  }
  return false;
}

}  // namespace

Result<ScimFilter> ScimFilter::Parse(std::string_view text,
                                     const std::vector<std::string>& attributes) {
  if (text.size() > kMaxFilterLength) {
    return MakeError(ErrorCode::kInvalidArgument, "Invalid filter: too long.");
  }
  Parser parser(text, attributes);
  Result<NodePtr> root = parser.ParseAll();
  if (!root) return std::unexpected(root.error());
  return ScimFilter(std::move(*root));
}

bool ScimFilter::Matches(const Getter& get) const { return Evaluate(*root_, get); }

}  // namespace latchkey::workspace
