#include <cstdint>
#include <string>

#include "core/error.h"
#include "data/raw_records.h"

namespace ft::data {

namespace {
// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is invalid (overlong forms,
// surrogates and code points above U+10FFFF are invalid, as in RFC 3629).
size_t utf8_sequence_length(const std::string& s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t b0 = byte(i);
  if (b0 < 0x80) return 1;
  size_t len;
  uint8_t lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < len; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  return len;
}
}  // namespace

void check_utf8(const std::string& file, const std::string& text) {
  size_t line = 1;
  for (size_t i = 0; i < text.size();) {
    const size_t len = utf8_sequence_length(text, i);
    if (len == 0)
      fail_input(file, "invalid UTF-8 at line " + std::to_string(line) + " (byte offset " +
                           std::to_string(i) + "); re-save the file as UTF-8");
    if (text[i] == '\n') ++line;
    i += len;
  }
}

std::string record_location(size_t index, const RawRecord& r) {
  std::string s = "record " + std::to_string(index + 1);
  if (r.line > 0) s += " (line " + std::to_string(r.line) + ")";
  return s;
}

}  // namespace ft::data
