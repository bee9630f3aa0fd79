// Incremental detokenization for `finetune generate`: push each generated id and get back only the
// text that is now complete. Bytes of a character split across tokens (byte fallback, byte-level
// BPE) are held back until the character is whole, and SentencePiece's leading-space handling is
// kept right by decoding a short window of recent ids and emitting the difference.
#pragma once
#include <string>
#include <vector>

#include "text/tokenizer.h"

namespace ft {

class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer, bool skip_special_tokens = true)
      : tokenizer_(tokenizer), skip_special_(skip_special_tokens) {}

  // The text completed by `id` (often empty while a character is still incomplete).
  std::string push(int id);
  // Whatever is still held back (an incomplete character becomes U+FFFD); call once at the end.
  std::string finish();

 private:
  std::string decode_range(std::size_t begin, std::size_t end) const;

  const Tokenizer& tokenizer_;
  bool skip_special_;
  std::vector<int> ids_;
  std::size_t prefix_begin_ = 0;  // the window starts here: context for leading-space rules
  std::size_t read_end_ = 0;      // text of ids before this has been returned
};

}  // namespace ft
