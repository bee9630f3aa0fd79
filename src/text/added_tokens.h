// Added tokens (special ones like "<|eot_id|>" and plain ones like Qwen's "<tool_call>") are cut
// out of the text before the model sees it, leftmost-longest first, as HF tokenizers do. Flags:
// lstrip / rstrip swallow the whitespace before / after a match; single_word only matches where the
// neighbours are not word characters. Specials are only matched when parsing specials is allowed.
#pragma once
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ft {

struct AddedToken {
  std::string content;
  int id = -1;
  bool special = false;
  bool lstrip = false;
  bool rstrip = false;
  bool single_word = false;
  bool normalized = false;
};

struct TextSegment {
  std::string_view text;  // plain text to tokenize when token_id < 0
  int token_id = -1;
  bool at_input_start = false;  // the segment begins at offset 0 of the input
};

class AddedTokenMatcher {
 public:
  explicit AddedTokenMatcher(const std::vector<AddedToken>& tokens);
  // Segments of `text` in order; empty plain segments are omitted.
  std::vector<TextSegment> split(std::string_view text, bool parse_special) const;
  bool empty() const { return tokens_.empty(); }

 private:
  struct Node {
    std::map<unsigned char, int> children;
    int token = -1;  // index into tokens_ of the token ending here
  };
  // Index into tokens_ of the longest acceptable token starting at `pos`, or -1.
  int longest_match(std::string_view text, std::size_t pos, bool parse_special) const;

  std::vector<AddedToken> tokens_;
  std::vector<Node> trie_;
};

}  // namespace ft
