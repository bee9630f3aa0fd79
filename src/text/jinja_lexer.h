// Splits a Jinja template into tokens the way jinja2's lexer does with trim_blocks=True and
// lstrip_blocks=True: text runs, `{% %}` / `{{ }}` delimiters with their expression tokens, and
// no comments. Whitespace control (`{%-`, `-%}`, `{%+`, `+%}`), `{% raw %}`, newline
// normalisation and the dropped single trailing newline are applied here, so the parser only
// sees the text that is rendered. Throws TemplateError on an unterminated tag or string.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ft::jinja {

enum class TokenKind { Text, BlockBegin, BlockEnd, VarBegin, VarEnd, Name, String, Int, Float, Op, End };

struct Token {
  TokenKind kind;
  std::string text;  // Text content, name, decoded string literal or operator
  int line;
  int64_t int_value = 0;
  double float_value = 0.0;
};

std::vector<Token> tokenize(const std::string& source);

}  // namespace ft::jinja
