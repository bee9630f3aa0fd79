// Tokenizing formatted examples into input ids and labels (label -100 = not trained on).
// Matches the reference script's collator: the full text (prompt + response) and the prompt are
// tokenized separately, each truncated to max_seq_length; EOS is appended to the full ids when it
// is not already last and fits; unless train_on_inputs, the first len(prompt ids) labels are -100.
#pragma once
#include <cstdint>
#include <vector>

#include "text/prompt_format.h"
#include "text/tokenizer.h"

namespace ft::data {

inline constexpr int32_t kIgnoreLabel = -100;

struct TokenizedExample {
  std::vector<int32_t> ids;
  std::vector<int32_t> labels;  // same length as ids
};

struct TokenizeOutcome {
  TokenizedExample example;
  bool truncated = false;  // the full text was longer than max_seq_length
};

TokenizeOutcome tokenize_example(const FormattedExample& ex, const Tokenizer& tok,
                                 int max_seq_length, bool train_on_inputs);

// Tokens whose label is trained on (label != -100).
size_t count_trained(const TokenizedExample& ex);

}  // namespace ft::data
