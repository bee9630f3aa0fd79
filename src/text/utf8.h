// UTF-8 helpers for the tokenizers. Text that reaches a tokenizer is first made valid with
// `sanitize` (each maximal invalid subsequence becomes U+FFFD, as Python's
// bytes.decode(errors="replace") and Rust's from_utf8_lossy do), so later stages may assume validity.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace ft::utf8 {

inline constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the well-formed sequence starting at s[i], or 0 when s[i] does not start one.
std::size_t sequence_length(std::string_view s, std::size_t i);
bool is_valid(std::string_view s);
std::string sanitize(std::string_view s);
// Bytes at the end of `s` that start a well-formed sequence which is not yet complete.
std::size_t incomplete_tail(std::string_view s);
// Decodes the code point at s[i] of valid UTF-8 and advances i past it.
char32_t next(std::string_view s, std::size_t& i);
void append(std::string& out, char32_t cp);
bool is_whitespace(char32_t cp);  // Unicode White_Space, as Rust's char::is_whitespace

}  // namespace ft::utf8
