// Python string semantics that Jinja templates observe: strings are sequences of code points
// (len, indexing, slicing), str.strip/split use Unicode whitespace, and floats print as Python's
// repr. UTF-8 in, UTF-8 out; malformed bytes are kept as single code points (U+FFFD not inserted).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ft::jinja {

std::u32string utf8_decode(const std::string& s);
std::string utf8_encode(const std::u32string& s);
void utf8_append(std::string& out, char32_t c);
size_t utf8_length(const std::string& s);

bool is_python_space(char32_t c);

// str.strip / lstrip / rstrip; `chars` absent = whitespace.
std::string python_strip(const std::string& s, const std::optional<std::string>& chars, bool left,
                         bool right);
// str.split(sep, maxsplit); `sep` absent = runs of whitespace. Throws std::invalid_argument on "".
std::vector<std::string> python_split(const std::string& s, const std::optional<std::string>& sep,
                                      int64_t maxsplit);
// str.replace(old, new, count); count < 0 = all.
std::string python_replace(const std::string& s, const std::string& from, const std::string& to,
                           int64_t count);
std::string ascii_upper(std::string s);
std::string ascii_lower(std::string s);

// repr(float), e.g. 1.0, 0.1, 1e+16, 1.5e-05, inf, nan.
std::string python_float_repr(double v);
// repr(str): single quotes unless the text has ' and no ".
std::string python_string_repr(const std::string& s);
// json.dumps(str, ensure_ascii=False).
std::string json_quote(const std::string& s);

}  // namespace ft::jinja
