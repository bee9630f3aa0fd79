#include "text/jinja_parser.h"

#include <initializer_list>

#include "text/jinja_lexer.h"

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

StmtPtr make_stmt(StmtKind kind, int line) {
  auto s = std::make_unique<Stmt>();
  s->kind = kind;
  s->line = line;
  return s;
}

std::string describe(const Token& t) {
  switch (t.kind) {
    case TokenKind::End: return "end of template";
    case TokenKind::BlockEnd: return "end of statement block";
    case TokenKind::VarEnd: return "end of print statement";
    case TokenKind::String: return "string";
    default: return "'" + t.text + "'";
  }
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : toks_(std::move(tokens)) {}

  Body parse() { return parse_body({}); }

 private:
  // RAII depth counter for recursion through nested blocks and expressions.
  struct Nest {
    explicit Nest(Parser& p) : p_(p) {
      if (++p_.depth_ > kMaxNesting) p_.fail_nesting();
    }
    ~Nest() { --p_.depth_; }
    Nest(const Nest&) = delete;
    Nest& operator=(const Nest&) = delete;
    Parser& p_;
  };

  [[noreturn]] void fail_nesting() const {
    fail("template nesting is deeper than " + std::to_string(kMaxNesting) + " levels");
  }
  // Operator, postfix and filter chains are built by loops, not recursion; they count too, so
  // that evaluating (and freeing) the tree stays shallow.
  void count_link(int& links) const {
    if (++links > kMaxNesting) fail_nesting();
  }
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

  const Token& peek(size_t ahead = 0) const {
    return toks_[std::min(pos_ + ahead, toks_.size() - 1)];
  }
  const Token& next() { return toks_[pos_ < toks_.size() - 1 ? pos_++ : pos_]; }
  bool is_op(const char* op, size_t ahead = 0) const {
    return peek(ahead).kind == TokenKind::Op && peek(ahead).text == op;
  }
  bool is_name(const char* name, size_t ahead = 0) const {
    return peek(ahead).kind == TokenKind::Name && peek(ahead).text == name;
  }
  bool skip_op(const char* op) { return is_op(op) ? (next(), true) : false; }
  bool skip_name(const char* name) { return is_name(name) ? (next(), true) : false; }
  [[noreturn]] void fail(const std::string& msg) const { throw TemplateError(peek().line, msg); }
  void expect_op(const char* op) {
    if (!skip_op(op)) fail(std::string("expected '") + op + "', got " + describe(peek()));
  }
  std::string expect_name() {
    if (peek().kind != TokenKind::Name) fail("expected a name, got " + describe(peek()));
    return next().text;
  }
  void expect_block_end() {
    if (peek().kind != TokenKind::BlockEnd) fail("expected end of statement block, got " + describe(peek()));
    next();
  }

  // Statements until a block tag named in `ends`; leaves the parser on that tag's name.
  Body parse_body(std::initializer_list<const char*> ends) {
    Nest nest(*this);
    Body body;
    while (true) {
      const Token& t = peek();
      if (t.kind == TokenKind::End) {
        if (ends.size() == 0) return body;
        fail(std::string("unexpected end of template, expected '") + *(ends.end() - 1) + "'");
      }
      if (t.kind == TokenKind::Text) {
        auto s = make_stmt(StmtKind::Text, t.line);
        s->text = next().text;
        body.push_back(std::move(s));
      } else if (t.kind == TokenKind::VarBegin) {
        next();
        auto s = make_stmt(StmtKind::Output, t.line);
        s->expr = checked(parse_tuple(true));
        if (peek().kind != TokenKind::VarEnd) fail("expected end of print statement, got " + describe(peek()));
        next();
        body.push_back(std::move(s));
      } else {  // BlockBegin
        for (const char* end : ends)
          if (is_name(end, 1)) {
            next();
            return body;
          }
        next();
        body.push_back(parse_statement());
      }
    }
  }

  StmtPtr parse_statement() {
    const int line = peek().line;
    const std::string tag = expect_name();
    if (tag == "if") return parse_if(line);
    if (tag == "for") return parse_for(line);
    if (tag == "set") return parse_set(line);
    if (tag == "macro") return parse_macro(line);
    if (tag == "break" || tag == "continue") {
      if (loop_depth_ == 0) throw TemplateError(line, "'" + tag + "' outside of a loop");
      expect_block_end();
      return make_stmt(tag == "break" ? StmtKind::Break : StmtKind::Continue, line);
    }
    if (tag == "generation") {
      expect_block_end();
      auto s = make_stmt(StmtKind::Scope, line);
      s->body = parse_body({"endgeneration"});
      end_tag();
      return s;
    }
    throw TemplateError(line, "Encountered unknown or unsupported tag '" + tag + "'");
  }

  void end_tag() {  // the closing tag's name was found by parse_body
    next();
    expect_block_end();
  }

  StmtPtr parse_if(int line) {
    auto s = make_stmt(StmtKind::If, line);
    while (true) {
      ExprPtr cond = checked(parse_tuple(true));
      expect_block_end();
      Body body = parse_body({"elif", "else", "endif"});
      s->branches.emplace_back(std::move(cond), std::move(body));
      const std::string tag = next().text;
      if (tag == "elif") continue;
      if (tag == "else") {
        expect_block_end();
        s->else_body = parse_body({"endif"});
        next();
      }
      expect_block_end();
      return s;
    }
  }

  StmtPtr parse_for(int line) {
    auto s = make_stmt(StmtKind::For, line);
    const bool paren = skip_op("(");
    do s->targets.push_back(expect_name());
    while (skip_op(","));
    if (paren) expect_op(")");
    if (!skip_name("in")) fail("expected 'in' in for loop, got " + describe(peek()));
    s->expr = checked(parse_tuple(false));
    if (skip_name("if")) s->condition = checked(parse_expression(true));
    if (is_name("recursive")) fail("recursive for loops are not supported");
    expect_block_end();
    ++loop_depth_;
    s->body = parse_body({"else", "endfor"});
    --loop_depth_;
    if (next().text == "else") {
      expect_block_end();
      s->else_body = parse_body({"endfor"});
      next();
    }
    expect_block_end();
    return s;
  }

  StmtPtr parse_set(int line) {
    auto s = make_stmt(StmtKind::Set, line);
    s->targets.push_back(expect_name());
    if (skip_op(".")) {
      s->attr = expect_name();
    } else {
      while (skip_op(",")) s->targets.push_back(expect_name());
    }
    if (skip_op("=")) {
      s->expr = checked(parse_tuple(true));
      expect_block_end();
      return s;
    }
    if (s->targets.size() != 1 || !s->attr.empty()) fail("expected '=' in set statement");
    expect_block_end();
    s->kind = StmtKind::SetBlock;
    s->body = parse_body({"endset"});
    end_tag();
    return s;
  }

  StmtPtr parse_macro(int line) {
    auto s = make_stmt(StmtKind::Macro, line);
    s->targets.push_back(expect_name());
    expect_op("(");
    while (!skip_op(")")) {
      if (!s->params.empty()) expect_op(",");
      if (skip_op(")")) break;
      std::string name = expect_name();
      ExprPtr def = skip_op("=") ? checked(parse_expression(true)) : nullptr;
      s->params.emplace_back(std::move(name), std::move(def));
    }
    expect_block_end();
    const int saved_loops = loop_depth_;
    loop_depth_ = 0;
    s->body = parse_body({"endmacro"});
    loop_depth_ = saved_loops;
    end_tag();
    return s;
  }

  // An expression, or several separated by commas (a tuple, evaluated as a list).
  ExprPtr parse_tuple(bool with_condexpr) {
    const int line = peek().line;
    ExprPtr first = parse_expression(with_condexpr);
    if (!is_op(",")) return first;
    auto list = make_expr(ExprKind::ListLiteral, line);
    list->args.push_back(std::move(first));
    while (skip_op(",")) {
      if (peek().kind == TokenKind::BlockEnd || peek().kind == TokenKind::VarEnd || is_op(")")) break;
      list->args.push_back(parse_expression(with_condexpr));
    }
    return list;
  }

  ExprPtr parse_expression(bool with_condexpr) {
    Nest nest(*this);
    ExprPtr value = parse_or();
    for (int links = 0; with_condexpr && is_name("if"); count_link(links)) {
      const int line = next().line;
      auto e = make_expr(ExprKind::Conditional, line);
      ExprPtr cond = parse_or();
      ExprPtr otherwise = skip_name("else") ? parse_expression(true) : nullptr;
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
    while (is_name("or")) {
      count_link(links);
      const int line = next().line;
      left = make_binary("or", std::move(left), parse_and(), line);
    }
    return left;
  }

  ExprPtr parse_and() {
    ExprPtr left = parse_not();
    int links = 0;
    while (is_name("and")) {
      count_link(links);
      const int line = next().line;
      left = make_binary("and", std::move(left), parse_not(), line);
    }
    return left;
  }

  ExprPtr parse_not() {
    if (!is_name("not")) return parse_compare();
    Nest nest(*this);
    auto e = make_expr(ExprKind::Unary, next().line, "not");
    e->args.push_back(parse_not());
    return e;
  }

  ExprPtr parse_compare() {
    ExprPtr left = parse_math1();
    for (int links = 0;; count_link(links)) {
      const int line = peek().line;
      std::string op;
      for (const char* o : {"==", "!=", "<", "<=", ">", ">="})
        if (is_op(o)) op = o;
      if (!op.empty()) {
        next();
      } else if (skip_name("in")) {
        op = "in";
      } else if (is_name("not") && is_name("in", 1)) {
        next(), next();
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
    for (int links = 0;; count_link(links)) {
      const char* found = nullptr;
      for (const char* o : ops)
        if (is_op(o)) found = o;
      if (!found) return left;
      const int line = next().line;
      left = make_binary(found, std::move(left), (this->*next_level)(), line);
    }
  }
  ExprPtr parse_math1() { return parse_binary_level({"+", "-"}, &Parser::parse_concat); }
  ExprPtr parse_concat() { return parse_binary_level({"~"}, &Parser::parse_math2); }
  ExprPtr parse_math2() { return parse_binary_level({"*", "/", "//", "%"}, &Parser::parse_pow); }
  ExprPtr parse_pow() { return parse_binary_level({"**"}, &Parser::parse_unary_filtered); }
  ExprPtr parse_unary_filtered() { return parse_unary(true); }

  ExprPtr parse_unary(bool with_filter) {
    Nest nest(*this);
    ExprPtr node;
    if (is_op("-") || is_op("+")) {
      const Token& t = next();
      node = make_expr(ExprKind::Unary, t.line, t.text);
      node->args.push_back(parse_unary(false));
    } else {
      node = parse_postfix(parse_primary());
    }
    return with_filter ? parse_filters(std::move(node)) : std::move(node);
  }

  ExprPtr parse_primary() {
    const Token& t = next();
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
        while (peek().kind == TokenKind::String) s += next().text;
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
      if (skip_op(")")) return make_expr(ExprKind::ListLiteral, t.line);
      ExprPtr inner = parse_tuple(true);
      expect_op(")");
      return inner;
    }
    if (t.kind == TokenKind::Op && (t.text == "[" || t.text == "{")) {
      const bool dict = t.text == "{";
      auto e = make_expr(dict ? ExprKind::DictLiteral : ExprKind::ListLiteral, t.line);
      const char* close = dict ? "}" : "]";
      while (!skip_op(close)) {
        if (!e->args.empty()) expect_op(",");
        if (skip_op(close)) break;
        e->args.push_back(parse_expression(true));
        if (dict) {
          expect_op(":");
          e->args.push_back(parse_expression(true));
        }
      }
      return e;
    }
    throw TemplateError(t.line, "unexpected " + describe(t));
  }

  ExprPtr parse_postfix(ExprPtr node) {
    for (int links = 0;; count_link(links)) {
      const int line = peek().line;
      if (skip_op(".")) {
        if (peek().kind == TokenKind::Int) {
          auto e = make_expr(ExprKind::GetItem, line);
          e->args.push_back(std::move(node));
          e->args.push_back(parse_primary());
          node = std::move(e);
        } else {
          auto e = make_expr(ExprKind::GetAttr, line, expect_name());
          e->args.push_back(std::move(node));
          node = std::move(e);
        }
      } else if (skip_op("[")) {
        node = parse_subscript(std::move(node), line);
      } else if (is_op("(")) {
        node = parse_call(make_expr(ExprKind::Call, line), std::move(node));
      } else {
        return node;
      }
    }
  }

  ExprPtr parse_subscript(ExprPtr object, int line) {
    ExprPtr parts[3];
    int colons = 0;
    while (!skip_op("]")) {
      if (skip_op(":")) {
        if (++colons > 2) fail("too many ':' in slice");
      } else if (!parts[colons]) {
        parts[colons] = parse_expression(true);
      } else {
        fail("expected ']' or ':', got " + describe(peek()));
      }
    }
    auto e = make_expr(colons ? ExprKind::Slice : ExprKind::GetItem, line);
    e->args.push_back(std::move(object));
    if (!colons && !parts[0]) fail("empty subscript");
    for (int i = 0; i <= (colons ? 2 : 0); ++i) e->args.push_back(std::move(parts[i]));
    return e;
  }

  // Fills a Call/Filter/Test node: args[0] = `first`, then `(a, b, k=v)` when present.
  ExprPtr parse_call(ExprPtr node, ExprPtr first) {
    node->args.push_back(std::move(first));
    if (!skip_op("(")) return node;
    while (!skip_op(")")) {
      if (node->args.size() > 1 || !node->kwargs.empty()) expect_op(",");
      if (skip_op(")")) break;
      if (peek().kind == TokenKind::Name && is_op("=", 1)) {
        std::string key = next().text;
        next();
        node->kwargs.emplace_back(std::move(key), parse_expression(true));
      } else {
        if (!node->kwargs.empty()) fail("positional argument follows keyword argument");
        node->args.push_back(parse_expression(true));
      }
    }
    return node;
  }

  ExprPtr parse_filters(ExprPtr node) {
    for (int links = 0;; count_link(links)) {
      const int line = peek().line;
      if (skip_op("|")) {
        node = parse_call(make_expr(ExprKind::Filter, line, expect_name()), std::move(node));
      } else if (skip_name("is")) {
        const bool negated = skip_name("not");
        auto test = make_expr(ExprKind::Test, line, expect_name());
        test->negated = negated;
        const Token& a = peek();
        const bool bare_arg = (a.kind == TokenKind::Name || a.kind == TokenKind::String ||
                               a.kind == TokenKind::Int || a.kind == TokenKind::Float ||
                               is_op("[") || is_op("{")) &&
                              !is_name("else") && !is_name("or") && !is_name("and");
        if (is_op("(")) {
          node = parse_call(std::move(test), std::move(node));
        } else {
          test->args.push_back(std::move(node));
          if (bare_arg) test->args.push_back(parse_postfix(parse_primary()));
          node = std::move(test);
        }
      } else if (is_op("(")) {
        node = parse_call(make_expr(ExprKind::Call, line), std::move(node));
      } else {
        return node;
      }
    }
  }

  std::vector<Token> toks_;
  size_t pos_ = 0;
  int depth_ = 0;
  int loop_depth_ = 0;
};

}  // namespace

Body parse_template(const std::string& source) { return Parser(tokenize(source)).parse(); }

}  // namespace ft::jinja
