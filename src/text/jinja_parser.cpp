#include "text/jinja_parser.h"

#include <initializer_list>

#include "text/jinja_expression_parser.h"
#include "text/jinja_token_stream.h"

namespace ft::jinja {
namespace {

StmtPtr make_stmt(StmtKind kind, int line) {
  auto s = std::make_unique<Stmt>();
  s->kind = kind;
  s->line = line;
  return s;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : ts_(std::move(tokens)) {}

  Body parse() { return parse_body({}); }

 private:
  // Statements until a block tag named in `ends`; leaves the parser on that tag's name.
  Body parse_body(std::initializer_list<const char*> ends) {
    TokenStream::Nest nest(ts_);
    Body body;
    while (true) {
      const Token& t = ts_.peek();
      if (t.kind == TokenKind::End) {
        if (ends.size() == 0) return body;
        ts_.fail(std::string("unexpected end of template, expected '") + *(ends.end() - 1) + "'");
      }
      if (t.kind == TokenKind::Text) {
        auto s = make_stmt(StmtKind::Text, t.line);
        s->text = ts_.next().text;
        body.push_back(std::move(s));
      } else if (t.kind == TokenKind::VarBegin) {
        ts_.next();
        auto s = make_stmt(StmtKind::Output, t.line);
        s->expr = parse_expression(ts_, true, true);
        if (ts_.peek().kind != TokenKind::VarEnd) ts_.fail("expected end of print statement, got " + describe(ts_.peek()));
        ts_.next();
        body.push_back(std::move(s));
      } else {  // BlockBegin
        for (const char* end : ends)
          if (ts_.is_name(end, 1)) {
            ts_.next();
            return body;
          }
        ts_.next();
        body.push_back(parse_statement());
      }
    }
  }

  StmtPtr parse_statement() {
    const int line = ts_.peek().line;
    const std::string tag = ts_.expect_name();
    if (tag == "if") return parse_if(line);
    if (tag == "for") return parse_for(line);
    if (tag == "set") return parse_set(line);
    if (tag == "macro") return parse_macro(line);
    if (tag == "break" || tag == "continue") {
      if (loop_depth_ == 0) throw TemplateError(line, "'" + tag + "' outside of a loop");
      ts_.expect_block_end();
      return make_stmt(tag == "break" ? StmtKind::Break : StmtKind::Continue, line);
    }
    if (tag == "generation") {
      ts_.expect_block_end();
      auto s = make_stmt(StmtKind::Scope, line);
      s->body = parse_body({"endgeneration"});
      end_tag();
      return s;
    }
    throw TemplateError(line, "Encountered unknown or unsupported tag '" + tag + "'");
  }

  void end_tag() {  // the closing tag's name was found by parse_body
    ts_.next();
    ts_.expect_block_end();
  }

  StmtPtr parse_if(int line) {
    auto s = make_stmt(StmtKind::If, line);
    while (true) {
      ExprPtr cond = parse_expression(ts_, true, true);
      ts_.expect_block_end();
      Body body = parse_body({"elif", "else", "endif"});
      s->branches.emplace_back(std::move(cond), std::move(body));
      const std::string tag = ts_.next().text;
      if (tag == "elif") continue;
      if (tag == "else") {
        ts_.expect_block_end();
        s->else_body = parse_body({"endif"});
        ts_.next();
      }
      ts_.expect_block_end();
      return s;
    }
  }

  StmtPtr parse_for(int line) {
    auto s = make_stmt(StmtKind::For, line);
    const bool paren = ts_.skip_op("(");
    do s->targets.push_back(ts_.expect_name());
    while (ts_.skip_op(","));
    if (paren) ts_.expect_op(")");
    if (!ts_.skip_name("in")) ts_.fail("expected 'in' in for loop, got " + describe(ts_.peek()));
    s->expr = parse_expression(ts_, true, false);
    if (ts_.skip_name("if")) s->condition = parse_expression(ts_, false, true);
    if (ts_.is_name("recursive")) ts_.fail("recursive for loops are not supported");
    ts_.expect_block_end();
    ++loop_depth_;
    s->body = parse_body({"else", "endfor"});
    --loop_depth_;
    if (ts_.next().text == "else") {
      ts_.expect_block_end();
      s->else_body = parse_body({"endfor"});
      ts_.next();
    }
    ts_.expect_block_end();
    return s;
  }

  StmtPtr parse_set(int line) {
    auto s = make_stmt(StmtKind::Set, line);
    s->targets.push_back(ts_.expect_name());
    if (ts_.skip_op(".")) {
      s->attr = ts_.expect_name();
    } else {
      while (ts_.skip_op(",")) s->targets.push_back(ts_.expect_name());
    }
    if (ts_.skip_op("=")) {
      s->expr = parse_expression(ts_, true, true);
      ts_.expect_block_end();
      return s;
    }
    if (s->targets.size() != 1 || !s->attr.empty()) ts_.fail("expected '=' in set statement");
    ts_.expect_block_end();
    s->kind = StmtKind::SetBlock;
    s->body = parse_body({"endset"});
    end_tag();
    return s;
  }

  StmtPtr parse_macro(int line) {
    auto s = make_stmt(StmtKind::Macro, line);
    s->targets.push_back(ts_.expect_name());
    ts_.expect_op("(");
    while (!ts_.skip_op(")")) {
      if (!s->params.empty()) ts_.expect_op(",");
      if (ts_.skip_op(")")) break;
      std::string name = ts_.expect_name();
      ExprPtr def = ts_.skip_op("=") ? parse_expression(ts_, false, true) : nullptr;
      s->params.emplace_back(std::move(name), std::move(def));
    }
    ts_.expect_block_end();
    const int saved_loops = loop_depth_;
    loop_depth_ = 0;
    s->body = parse_body({"endmacro"});
    loop_depth_ = saved_loops;
    end_tag();
    return s;
  }

 private:
  TokenStream ts_;
  int loop_depth_ = 0;
};

}  // namespace

Body parse_template(const std::string& source) { return Parser(tokenize(source)).parse(); }

}  // namespace ft::jinja
