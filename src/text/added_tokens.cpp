#include "text/added_tokens.h"

#include "text/utf8.h"

namespace ft {
namespace {

bool is_word_char(char32_t c) {
  return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         c >= 0x80;
}

char32_t char_before(std::string_view s, std::size_t pos) {
  std::size_t start = pos;
  do --start;
  while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80);
  return utf8::next(s, start);
}

}  // namespace

AddedTokenMatcher::AddedTokenMatcher(const std::vector<AddedToken>& tokens) : trie_(1) {
  for (const AddedToken& t : tokens) {
    if (t.content.empty()) continue;
    int node = 0;
    for (char c : t.content) {
      const auto key = static_cast<unsigned char>(c);
      const auto it = trie_[node].children.find(key);
      if (it != trie_[node].children.end()) {
        node = it->second;
      } else {
        trie_.emplace_back();
        trie_[node].children.emplace(key, static_cast<int>(trie_.size()) - 1);
        node = static_cast<int>(trie_.size()) - 1;
      }
    }
    if (trie_[node].token < 0) {
      trie_[node].token = static_cast<int>(tokens_.size());
      tokens_.push_back(t);
    }
  }
}

int AddedTokenMatcher::longest_match(std::string_view text, std::size_t pos,
                                     bool parse_special) const {
  int node = 0, found = -1;
  for (std::size_t i = pos; i < text.size(); ++i) {
    const auto it = trie_[node].children.find(static_cast<unsigned char>(text[i]));
    if (it == trie_[node].children.end()) break;
    node = it->second;
    const int t = trie_[node].token;
    if (t < 0 || (tokens_[t].special && !parse_special)) continue;
    if (tokens_[t].single_word) {
      const std::size_t end = i + 1;
      std::size_t after = end;
      if (pos > 0 && is_word_char(char_before(text, pos))) continue;
      if (end < text.size() && is_word_char(utf8::next(text, after))) continue;
    }
    found = t;
  }
  return found;
}

std::vector<TextSegment> AddedTokenMatcher::split(std::string_view text, bool parse_special) const {
  std::vector<TextSegment> out;
  std::size_t plain_start = 0;
  auto emit_plain = [&](std::size_t end) {
    if (end > plain_start)
      out.push_back({text.substr(plain_start, end - plain_start), -1, plain_start == 0});
  };
  for (std::size_t pos = 0; pos < text.size();) {
    const int t = tokens_.empty() ? -1 : longest_match(text, pos, parse_special);
    if (t < 0) {
      ++pos;
      continue;
    }
    const AddedToken& token = tokens_[t];
    std::size_t begin = pos, end = pos + token.content.size();
    if (token.lstrip)
      while (begin > plain_start) {
        const char32_t c = char_before(text, begin);
        if (!utf8::is_whitespace(c)) break;
        std::size_t width = 1;
        while ((static_cast<unsigned char>(text[begin - width]) & 0xC0) == 0x80) ++width;
        begin -= width;
      }
    if (token.rstrip)
      while (end < text.size()) {
        std::size_t next = end;
        if (!utf8::is_whitespace(utf8::next(text, next))) break;
        end = next;
      }
    emit_plain(begin);
    out.push_back({text.substr(begin, end - begin), token.id, begin == 0});
    plain_start = pos = end;
  }
  emit_plain(text.size());
  return out;
}

}  // namespace ft
