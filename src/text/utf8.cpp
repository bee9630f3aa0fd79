#include "text/utf8.h"

namespace ft::utf8 {
namespace {

unsigned char byte_at(std::string_view s, std::size_t i) { return static_cast<unsigned char>(s[i]); }

// Bytes of the longest prefix of a sequence at s[i] that is well-formed so far (the "maximal
// subpart" of Unicode §3.9), and the sequence's full length.
struct Prefix {
  std::size_t valid;
  std::size_t needed;
};

Prefix valid_prefix(std::string_view s, std::size_t i) {
  const unsigned char b0 = byte_at(s, i);
  if (b0 < 0x80) return {1, 1};
  std::size_t needed;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    needed = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    needed = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    needed = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return {0, 1};
  }
  std::size_t k = 1;
  for (; k < needed && i + k < s.size(); ++k) {
    const unsigned char b = byte_at(s, i + k);
    if (b < lo || b > hi) break;
    lo = 0x80;
    hi = 0xBF;
  }
  return {k, needed};
}

}  // namespace

std::size_t sequence_length(std::string_view s, std::size_t i) {
  const Prefix p = valid_prefix(s, i);
  return p.valid == p.needed ? p.needed : 0;
}

bool is_valid(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string sanitize(std::string_view s) {
  if (is_valid(s)) return std::string(s);
  std::string out;
  out.reserve(s.size() + 8);
  for (std::size_t i = 0; i < s.size();) {
    const Prefix p = valid_prefix(s, i);
    if (p.valid == p.needed) {
      out.append(s.substr(i, p.needed));
      i += p.needed;
    } else {
      out.append(kReplacement);
      i += p.valid == 0 ? 1 : p.valid;
    }
  }
  return out;
}

std::size_t incomplete_tail(std::string_view s) {
  const std::size_t start = s.size() >= 3 ? s.size() - 3 : 0;
  for (std::size_t i = start; i < s.size(); ++i) {
    if ((byte_at(s, i) & 0xC0) == 0x80) continue;
    const Prefix p = valid_prefix(s, i);
    if (p.valid == s.size() - i && p.valid < p.needed) return p.valid;
  }
  return 0;
}

char32_t next(std::string_view s, std::size_t& i) {
  const unsigned char b0 = byte_at(s, i);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  const std::size_t n = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : 2;
  char32_t cp = b0 & (0x7F >> n);
  for (std::size_t k = 1; k < n && i + k < s.size(); ++k) cp = (cp << 6) | (byte_at(s, i + k) & 0x3F);
  i += n;
  return cp;
}

void append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool is_whitespace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

}  // namespace ft::utf8
