#include "text/jinja_expression_parser.h"

#include <initializer_list>

namespace ft::jinja {
namespace {

ExprPtr make_expr(ExprKind kind, int line, std::string name = {}) {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->line = line;
  e->name = std::move(name);
  return e;
}

ExprPtr make_binary(std::string op, ExprPtr left, ExprPtr right, int line) {
  auto e = make_expr(ExprKind::Binary, line, std::move(op));
  e->args.push_back(std::move(left));
  e->args.push_back(std::move(right));
  return e;
}

class ExpressionParser {
 public:
  explicit ExpressionParser(TokenStream& ts) : ts_(ts) {}

  // Depth of a finished statement expression, walked without recursion.
  ExprPtr checked(ExprPtr root) const {
    std::vector<std::pair<const Expr*, int>> stack{{root.get(), 1}};
    while (!stack.empty()) {
      auto [e, d] = stack.back();
      stack.pop_back();
      if (d > kMaxNesting) throw TemplateError(e->line, "template nesting is deeper than " +
                                                             std::to_string(kMaxNesting) + " levels");
      for (const auto& a : e->args)
        if (a) stack.emplace_back(a.get(), d + 1);
      for (const auto& kv : e->kwargs) stack.emplace_back(kv.second.get(), d + 1);
    }
    return root;
  }

  // An expression, or several separated by commas (a tuple, evaluated as a list).
  ExprPtr parse_tuple(bool with_condexpr) {
    const int line = ts_.peek().line;
    ExprPtr first = parse_expression(with_condexpr);
    if (!ts_.is_op(",")) return first;
    auto list = make_expr(ExprKind::ListLiteral, line);
    list->args.push_back(std::move(first));
    while (ts_.skip_op(",")) {
      if (ts_.peek().kind == TokenKind::BlockEnd || ts_.peek().kind == TokenKind::VarEnd || ts_.is_op(")")) break;
      list->args.push_back(parse_expression(with_condexpr));
    }
    return list;
  }

  ExprPtr parse_expression(bool with_condexpr) {
    TokenStream::Nest nest(ts_);
    ExprPtr value = parse_or();
    for (int links = 0; with_condexpr && ts_.is_name("if"); ts_.count_link(links)) {
      const int line = ts_.next().line;
      auto e = make_expr(ExprKind::Conditional, line);
      ExprPtr cond = parse_or();
      ExprPtr otherwise = ts_.skip_name("else") ? parse_expression(true) : nullptr;
      e->args.push_back(std::move(value));
      e->args.push_back(std::move(cond));
      e->args.push_back(std::move(otherwise));
      value = std::move(e);
    }
    return value;
  }

  ExprPtr parse_or() {
    ExprPtr left = parse_and();
    int links = 0;
    while (ts_.is_name("or")) {
      ts_.count_link(links);
      const int line = ts_.next().line;
      left = make_binary("or", std::move(left), parse_and(), line);
    }
    return left;
  }

  ExprPtr parse_and() {
    ExprPtr left = parse_not();
    int links = 0;
    while (ts_.is_name("and")) {
      ts_.count_link(links);
      const int line = ts_.next().line;
      left = make_binary("and", std::move(left), parse_not(), line);
    }
    return left;
  }

  ExprPtr parse_not() {
    if (!ts_.is_name("not")) return parse_compare();
    TokenStream::Nest nest(ts_);
    auto e = make_expr(ExprKind::Unary, ts_.next().line, "not");
    e->args.push_back(parse_not());
    return e;
  }

  ExprPtr parse_compare() {
    ExprPtr left = parse_math1();
    for (int links = 0;; ts_.count_link(links)) {
      const int line = ts_.peek().line;
      std::string op;
      for (const char* o : {"==", "!=", "<", "<=", ">", ">="})
        if (ts_.is_op(o)) op = o;
      if (!op.empty()) {
        ts_.next();
      } else if (ts_.skip_name("in")) {
        op = "in";
      } else if (ts_.is_name("not") && ts_.is_name("in", 1)) {
        ts_.next(), ts_.next();
        op = "not in";
      } else {
        return left;
      }
      left = make_binary(op, std::move(left), parse_math1(), line);
    }
  }

  template <typename Next>
  ExprPtr parse_binary_level(std::initializer_list<const char*> ops, Next next_level) {
    ExprPtr left = (this->*next_level)();
    for (int links = 0;; ts_.count_link(links)) {
      const char* found = nullptr;
      for (const char* o : ops)
        if (ts_.is_op(o)) found = o;
      if (!found) return left;
      const int line = ts_.next().line;
      left = make_binary(found, std::move(left), (this->*next_level)(), line);
    }
  }
  ExprPtr parse_math1() { return parse_binary_level({"+", "-"}, &ExpressionParser::parse_concat); }
  ExprPtr parse_concat() { return parse_binary_level({"~"}, &ExpressionParser::parse_math2); }
  ExprPtr parse_math2() { return parse_binary_level({"*", "/", "//", "%"}, &ExpressionParser::parse_pow); }
  ExprPtr parse_pow() { return parse_binary_level({"**"}, &ExpressionParser::parse_unary_filtered); }
  ExprPtr parse_unary_filtered() { return parse_unary(true); }

  ExprPtr parse_unary(bool with_filter) {
    TokenStream::Nest nest(ts_);
    ExprPtr node;
    if (ts_.is_op("-") || ts_.is_op("+")) {
      const Token& t = ts_.next();
      node = make_expr(ExprKind::Unary, t.line, t.text);
      node->args.push_back(parse_unary(false));
    } else {
      node = parse_postfix(parse_primary());
    }
    return with_filter ? parse_filters(std::move(node)) : std::move(node);
  }

  ExprPtr parse_primary() {
    const Token& t = ts_.next();
    switch (t.kind) {
      case TokenKind::Name: {
        auto e = make_expr(ExprKind::Literal, t.line);
        if (t.text == "true" || t.text == "True") e->literal = true;
        else if (t.text == "false" || t.text == "False") e->literal = false;
        else if (t.text == "none" || t.text == "None") e->literal = None{};
        else e = make_expr(ExprKind::Name, t.line, t.text);
        return e;
      }
      case TokenKind::String: {
        auto e = make_expr(ExprKind::Literal, t.line);
        std::string s = t.text;
        while (ts_.peek().kind == TokenKind::String) s += ts_.next().text;
        e->literal = std::move(s);
        return e;
      }
      case TokenKind::Int:
      case TokenKind::Float: {
        auto e = make_expr(ExprKind::Literal, t.line);
        e->literal = t.kind == TokenKind::Int ? Value(t.int_value) : Value(t.float_value);
        return e;
      }
      default: break;
    }
    if (t.kind == TokenKind::Op && t.text == "(") {
      if (ts_.skip_op(")")) return make_expr(ExprKind::ListLiteral, t.line);
      ExprPtr inner = parse_tuple(true);
      ts_.expect_op(")");
      return inner;
    }
    if (t.kind == TokenKind::Op && (t.text == "[" || t.text == "{")) {
      const bool dict = t.text == "{";
      auto e = make_expr(dict ? ExprKind::DictLiteral : ExprKind::ListLiteral, t.line);
      const char* close = dict ? "}" : "]";
      while (!ts_.skip_op(close)) {
        if (!e->args.empty()) ts_.expect_op(",");
        if (ts_.skip_op(close)) break;
        e->args.push_back(parse_expression(true));
        if (dict) {
          ts_.expect_op(":");
          e->args.push_back(parse_expression(true));
        }
      }
      return e;
    }
    throw TemplateError(t.line, "unexpected " + describe(t));
  }

  ExprPtr parse_postfix(ExprPtr node) {
    for (int links = 0;; ts_.count_link(links)) {
      const int line = ts_.peek().line;
      if (ts_.skip_op(".")) {
        if (ts_.peek().kind == TokenKind::Int) {
          auto e = make_expr(ExprKind::GetItem, line);
          e->args.push_back(std::move(node));
          e->args.push_back(parse_primary());
          node = std::move(e);
        } else {
          auto e = make_expr(ExprKind::GetAttr, line, ts_.expect_name());
          e->args.push_back(std::move(node));
          node = std::move(e);
        }
      } else if (ts_.skip_op("[")) {
        node = parse_subscript(std::move(node), line);
      } else if (ts_.is_op("(")) {
        node = parse_call(make_expr(ExprKind::Call, line), std::move(node));
      } else {
        return node;
      }
    }
  }

  ExprPtr parse_subscript(ExprPtr object, int line) {
    ExprPtr parts[3];
    int colons = 0;
    while (!ts_.skip_op("]")) {
      if (ts_.skip_op(":")) {
        if (++colons > 2) ts_.fail("too many ':' in slice");
      } else if (!parts[colons]) {
        parts[colons] = parse_expression(true);
      } else {
        ts_.fail("expected ']' or ':', got " + describe(ts_.peek()));
      }
    }
    auto e = make_expr(colons ? ExprKind::Slice : ExprKind::GetItem, line);
    e->args.push_back(std::move(object));
    if (!colons && !parts[0]) ts_.fail("empty subscript");
    for (int i = 0; i <= (colons ? 2 : 0); ++i) e->args.push_back(std::move(parts[i]));
    return e;
  }

  // Fills a Call/Filter/Test node: args[0] = `first`, then `(a, b, k=v)` when present.
  ExprPtr parse_call(ExprPtr node, ExprPtr first) {
    node->args.push_back(std::move(first));
    if (!ts_.skip_op("(")) return node;
    while (!ts_.skip_op(")")) {
      if (node->args.size() > 1 || !node->kwargs.empty()) ts_.expect_op(",");
      if (ts_.skip_op(")")) break;
      if (ts_.peek().kind == TokenKind::Name && ts_.is_op("=", 1)) {
        std::string key = ts_.next().text;
        ts_.next();
        node->kwargs.emplace_back(std::move(key), parse_expression(true));
      } else {
        if (!node->kwargs.empty()) ts_.fail("positional argument follows keyword argument");
        node->args.push_back(parse_expression(true));
      }
    }
    return node;
  }

  ExprPtr parse_filters(ExprPtr node) {
    for (int links = 0;; ts_.count_link(links)) {
      const int line = ts_.peek().line;
      if (ts_.skip_op("|")) {
        node = parse_call(make_expr(ExprKind::Filter, line, ts_.expect_name()), std::move(node));
      } else if (ts_.skip_name("is")) {
        const bool negated = ts_.skip_name("not");
        auto test = make_expr(ExprKind::Test, line, ts_.expect_name());
        test->negated = negated;
        const Token& a = ts_.peek();
        const bool bare_arg = (a.kind == TokenKind::Name || a.kind == TokenKind::String ||
                               a.kind == TokenKind::Int || a.kind == TokenKind::Float ||
                               ts_.is_op("[") || ts_.is_op("{")) &&
                              !ts_.is_name("else") && !ts_.is_name("or") && !ts_.is_name("and");
        if (ts_.is_op("(")) {
          node = parse_call(std::move(test), std::move(node));
        } else {
          test->args.push_back(std::move(node));
          if (bare_arg) test->args.push_back(parse_postfix(parse_primary()));
          node = std::move(test);
        }
      } else if (ts_.is_op("(")) {
        node = parse_call(make_expr(ExprKind::Call, line), std::move(node));
      } else {
        return node;
      }
    }
  }

 private:
  TokenStream& ts_;
};

}  // namespace

ExprPtr parse_expression(TokenStream& ts, bool tuple, bool with_condexpr) {
  ExpressionParser p(ts);
  return p.checked(tuple ? p.parse_tuple(with_condexpr) : p.parse_expression(with_condexpr));
}

}  // namespace ft::jinja
