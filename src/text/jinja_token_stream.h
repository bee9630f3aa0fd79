// A cursor over a template's tokens for the parsers: look-ahead, expectations with one-line
// syntax errors, and one nesting budget shared by blocks and expressions (kMaxNesting), so that a
// hostile template cannot exhaust the stack while being parsed or rendered.
#pragma once
#include <algorithm>
#include <string>
#include <vector>

#include "text/jinja_lexer.h"
#include "text/jinja_value.h"

namespace ft::jinja {

inline constexpr int kMaxNesting = 100;

inline std::string describe(const Token& t) {
  switch (t.kind) {
    case TokenKind::End: return "end of template";
    case TokenKind::BlockEnd: return "end of statement block";
    case TokenKind::VarEnd: return "end of print statement";
    case TokenKind::String: return "string";
    default: return "'" + t.text + "'";
  }
}

class TokenStream {
 public:
  explicit TokenStream(std::vector<Token> tokens) : toks_(std::move(tokens)) {}

  // Counts one level of recursion while alive.
  class Nest {
   public:
    explicit Nest(TokenStream& ts) : ts_(ts) {
      if (++ts_.depth_ > kMaxNesting) ts_.fail_nesting();
    }
    ~Nest() { --ts_.depth_; }
    Nest(const Nest&) = delete;
    Nest& operator=(const Nest&) = delete;

   private:
    TokenStream& ts_;
  };

  [[noreturn]] void fail_nesting() const {
    fail("template nesting is deeper than " + std::to_string(kMaxNesting) + " levels");
  }
  // Operator, postfix and filter chains are built by loops, not recursion; they count too, so
  // that evaluating (and freeing) the tree stays shallow.
  void count_link(int& links) const {
    if (++links > kMaxNesting) fail_nesting();
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

 private:
  std::vector<Token> toks_;
  size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace ft::jinja
