#include "text/jinja_lexer.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>

#include "text/jinja_strings.h"
#include "text/jinja_value.h"

namespace ft::jinja {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string normalize_newlines(const std::string& src) {
  std::string out;
  out.reserve(src.size());
  for (size_t i = 0; i < src.size(); ++i) {
    if (src[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < src.size() && src[i + 1] == '\n') ++i;
    } else {
      out.push_back(src[i]);
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();  // keep_trailing_newline=False
  return out;
}

// Python's "unicode-escape" decoding of a string literal's body; unknown escapes stay as written.
std::string unescape(const std::string& body, int line) {
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] != '\\' || i + 1 == body.size()) {
      out.push_back(body[i]);
      continue;
    }
    const char c = body[++i];
    auto hex = [&](size_t digits) {
      const std::string h = body.substr(i + 1, digits);
      if (h.size() != digits || !std::all_of(h.begin(), h.end(), ::isxdigit))
        throw TemplateError(line, "truncated \\x, \\u or \\U escape in a string literal");
      i += digits;
      utf8_append(out, static_cast<char32_t>(std::strtoul(h.c_str(), nullptr, 16)));
    };
    switch (c) {
      case '\n': break;
      case '\\': out.push_back('\\'); break;
      case '\'': out.push_back('\''); break;
      case '"': out.push_back('"'); break;
      case 'a': out.push_back('\a'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'v': out.push_back('\v'); break;
      case 'x': hex(2); break;
      case 'u': hex(4); break;
      case 'U': hex(8); break;
      default:
        if (c >= '0' && c <= '7') {
          unsigned v = 0;
          size_t n = 0;
          for (; n < 3 && i < body.size() && body[i] >= '0' && body[i] <= '7'; ++n, ++i)
            v = v * 8 + static_cast<unsigned>(body[i] - '0');
          --i;
          utf8_append(out, static_cast<char32_t>(v));
        } else {
          out.push_back('\\');
          out.push_back(c);
        }
    }
  }
  return out;
}

class Lexer {
 public:
  explicit Lexer(std::string source) : src_(std::move(source)) {}

  std::vector<Token> run() {
    while (pos_ < src_.size()) {
      const size_t tag = find_tag(pos_);
      std::string text = src_.substr(pos_, tag - pos_);
      const bool line_starting = pos_ == 0 || src_[pos_ - 1] == '\n';
      if (tag == src_.size()) {
        emit_text(std::move(text), line_starting, '\0', false);
        pos_ = tag;
        break;
      }
      const char kind = src_[tag + 1];
      const char modifier = tag + 2 < src_.size() ? src_[tag + 2] : '\0';
      emit_text(std::move(text), line_starting, modifier, kind != '{');
      pos_ = tag + 2 + (modifier == '-' || modifier == '+' ? 1 : 0);
      if (kind == '#') {
        skip_comment();
      } else if (kind == '%' && is_raw_begin()) {
        lex_raw();
      } else {
        lex_tag(kind == '%');
      }
    }
    tokens_.push_back({TokenKind::End, "", line_});
    return std::move(tokens_);
  }

 private:
  size_t find_tag(size_t from) const {
    for (size_t i = from; i + 1 < src_.size(); ++i)
      if (src_[i] == '{' && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#')) return i;
    return src_.size();
  }

  // Applies `-` (strip all trailing whitespace) or lstrip_blocks to the text before a tag.
  void emit_text(std::string text, bool line_starting, char modifier, bool lstrip_applies) {
    const int text_line = line_;
    line_ += static_cast<int>(std::count(text.begin(), text.end(), '\n'));
    if (modifier == '-') {
      while (!text.empty() && is_space(text.back())) text.pop_back();
    } else if (modifier != '+' && lstrip_applies) {
      const size_t nl = text.rfind('\n');
      const size_t l_pos = nl == std::string::npos ? 0 : nl + 1;
      if ((l_pos > 0 || line_starting) && l_pos < text.size() &&
          std::all_of(text.begin() + static_cast<long>(l_pos), text.end(), is_space))
        text.resize(l_pos);
    }
    if (!text.empty()) tokens_.push_back({TokenKind::Text, std::move(text), text_line});
  }

  // After a closing `-%}`, `-}}` or `-#}` all whitespace goes; after `%}`/`#}` one newline.
  void after_tag_end(bool stripped, bool trims_newline) {
    if (stripped) {
      while (pos_ < src_.size() && is_space(src_[pos_])) advance();
    } else if (trims_newline && pos_ < src_.size() && src_[pos_] == '\n') {
      advance();
    }
  }

  void advance() {
    if (src_[pos_] == '\n') ++line_;
    ++pos_;
  }

  void skip_comment() {
    const int start_line = line_;
    const size_t end = src_.find("#}", pos_);
    if (end == std::string::npos) throw TemplateError(start_line, "unterminated comment");
    const bool stripped = end > pos_ && src_[end - 1] == '-';
    const bool plus = end > pos_ && src_[end - 1] == '+';
    while (pos_ < end + 2) advance();
    after_tag_end(stripped, !plus);
  }

  bool is_raw_begin() const {
    size_t i = pos_;
    while (i < src_.size() && is_space(src_[i])) ++i;
    if (src_.compare(i, 3, "raw") != 0) return false;
    i += 3;
    while (i < src_.size() && is_space(src_[i])) ++i;
    return src_.compare(i, 2, "%}") == 0 || src_.compare(i, 3, "-%}") == 0;
  }

  void lex_raw() {
    const int start_line = line_;
    size_t close = src_.find("%}", pos_);
    const bool strip_after = src_[close - 1] == '-';
    while (pos_ < close + 2) advance();
    if (strip_after) after_tag_end(true, false);
    for (size_t search = pos_;;) {
      const size_t tag = src_.find("{%", search);
      if (tag == std::string::npos) throw TemplateError(start_line, "missing {% endraw %}");
      size_t i = tag + 2;
      const char modifier = i < src_.size() ? src_[i] : '\0';
      if (modifier == '-' || modifier == '+') ++i;
      while (i < src_.size() && is_space(src_[i])) ++i;
      if (src_.compare(i, 6, "endraw") != 0) {
        search = tag + 2;
        continue;
      }
      i += 6;
      while (i < src_.size() && is_space(src_[i])) ++i;
      const bool end_strip = src_.compare(i, 3, "-%}") == 0;
      const bool end_plus = src_.compare(i, 3, "+%}") == 0;
      if (!end_strip && !end_plus && src_.compare(i, 2, "%}") != 0)
        throw TemplateError(line_, "malformed {% endraw %}");
      std::string text = src_.substr(pos_, tag - pos_);
      if (modifier == '-')
        while (!text.empty() && is_space(text.back())) text.pop_back();
      const int text_line = line_;
      while (pos_ < i + (end_strip || end_plus ? 3 : 2)) advance();
      if (!text.empty()) tokens_.push_back({TokenKind::Text, std::move(text), text_line});
      after_tag_end(end_strip, !end_plus);
      return;
    }
  }

  void lex_tag(bool block) {
    const int start_line = line_;
    tokens_.push_back({block ? TokenKind::BlockBegin : TokenKind::VarBegin, "", line_});
    const char closer = block ? '%' : '}';
    int depth = 0;
    while (true) {
      while (pos_ < src_.size() && is_space(src_[pos_])) advance();
      if (pos_ >= src_.size())
        throw TemplateError(start_line, block ? "unclosed '{%' tag" : "unclosed '{{' tag");
      if (depth == 0) {
        const char modifier = src_[pos_] == '-' || (block && src_[pos_] == '+') ? src_[pos_] : '\0';
        const size_t at = pos_ + (modifier ? 1 : 0);
        if (at + 1 < src_.size() && src_[at] == closer && src_[at + 1] == '}') {
          tokens_.push_back({block ? TokenKind::BlockEnd : TokenKind::VarEnd, "", line_});
          pos_ = at + 2;
          after_tag_end(modifier == '-', block && modifier != '+');
          return;
        }
      }
      lex_expression_token(depth);
    }
  }

  void lex_expression_token(int& depth) {
    const char c = src_[pos_];
    const int line = line_;
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t end = pos_;
      while (end < src_.size() && (std::isalnum(static_cast<unsigned char>(src_[end])) || src_[end] == '_')) ++end;
      tokens_.push_back({TokenKind::Name, src_.substr(pos_, end - pos_), line});
      pos_ = end;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      lex_number();
    } else if (c == '\'' || c == '"') {
      size_t end = pos_ + 1;
      while (end < src_.size() && src_[end] != c) end += src_[end] == '\\' ? 2 : 1;
      if (end >= src_.size()) throw TemplateError(line, "unterminated string literal");
      tokens_.push_back({TokenKind::String, unescape(src_.substr(pos_ + 1, end - pos_ - 1), line), line});
      while (pos_ <= end) advance();
    } else {
      static const char* const kOps[] = {"//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%",
                                         "~",  "<",  ">",  "=",  "(",  ")",  "[", "]", "{", "}", ",",
                                         ".",  ":",  "|"};
      for (const char* op : kOps) {
        const std::string s(op);
        if (src_.compare(pos_, s.size(), s) == 0) {
          if (s == "(" || s == "[" || s == "{") ++depth;
          if ((s == ")" || s == "]" || s == "}") && depth > 0) --depth;
          tokens_.push_back({TokenKind::Op, s, line});
          pos_ += s.size();
          return;
        }
      }
      throw TemplateError(line, std::string("unexpected character '") + c + "'");
    }
  }

  void lex_number() {
    auto digits = [&](size_t i) {
      while (i < src_.size() && (std::isdigit(static_cast<unsigned char>(src_[i])) || src_[i] == '_')) ++i;
      return i;
    };
    size_t end = digits(pos_);
    bool is_float = false;
    if (end + 1 < src_.size() && src_[end] == '.' && std::isdigit(static_cast<unsigned char>(src_[end + 1]))) {
      end = digits(end + 1);
      is_float = true;
    }
    if (end < src_.size() && (src_[end] == 'e' || src_[end] == 'E')) {
      size_t e = end + 1;
      if (e < src_.size() && (src_[e] == '+' || src_[e] == '-')) ++e;
      if (e < src_.size() && std::isdigit(static_cast<unsigned char>(src_[e]))) {
        end = digits(e);
        is_float = true;
      }
    }
    std::string text = src_.substr(pos_, end - pos_);
    text.erase(std::remove(text.begin(), text.end(), '_'), text.end());
    Token t{is_float ? TokenKind::Float : TokenKind::Int, text, line_};
    if (is_float) {
      t.float_value = std::strtod(text.c_str(), nullptr);
    } else {
      errno = 0;
      t.int_value = std::strtoll(text.c_str(), nullptr, 10);
      if (errno == ERANGE) throw TemplateError(line_, "integer literal too large: " + text);
    }
    tokens_.push_back(std::move(t));
    pos_ = end;
  }

  std::string src_;
  size_t pos_ = 0;
  int line_ = 1;
  std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> tokenize(const std::string& source) { return Lexer(normalize_newlines(source)).run(); }

}  // namespace ft::jinja
