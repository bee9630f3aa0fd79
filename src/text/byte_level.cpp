#include "text/byte_level.h"

#include <array>
#include <unordered_map>

#include "text/utf8.h"

namespace ft::byte_level {
namespace {

struct Tables {
  std::array<std::string, 256> byte_to_text;
  std::unordered_map<char32_t, unsigned char> char_to_byte;

  Tables() {
    char32_t extra = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      const char32_t cp = printable ? static_cast<char32_t>(b) : extra++;
      utf8::append(byte_to_text[b], cp);
      char_to_byte[cp] = static_cast<unsigned char>(b);
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

std::string encode(std::string_view bytes) {
  const Tables& t = tables();
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) out += t.byte_to_text[static_cast<unsigned char>(c)];
  return out;
}

std::string decode_token(std::string_view token) {
  const Tables& t = tables();
  std::string out;
  out.reserve(token.size());
  for (std::size_t i = 0; i < token.size();) {
    const auto it = t.char_to_byte.find(utf8::next(token, i));
    if (it == t.char_to_byte.end()) return std::string(token);
    out.push_back(static_cast<char>(it->second));
  }
  return out;
}

}  // namespace ft::byte_level
