#include "data/example_tokens.h"

#include <algorithm>

namespace ft::data {

TokenizeOutcome tokenize_example(const FormattedExample& ex, const Tokenizer& tok,
                                 int max_seq_length, bool train_on_inputs) {
  const EncodeOptions opt{ex.add_special_tokens, true};
  const size_t max_len = size_t(max_seq_length);
  TokenizeOutcome out;
  std::vector<int> full = tok.encode(ex.prompt + ex.response, opt);
  if (full.size() > max_len) {
    full.resize(max_len);
    out.truncated = true;
  }
  if (tok.eos_id) {
    const int eos = *tok.eos_id;
    if ((full.empty() || full.back() != eos) && full.size() < max_len) full.push_back(eos);
  }
  out.example.ids.assign(full.begin(), full.end());
  out.example.labels = out.example.ids;
  if (!train_on_inputs && !ex.prompt.empty()) {
    const size_t prompt_len = std::min(tok.encode(ex.prompt, opt).size(), max_len);
    std::fill_n(out.example.labels.begin(), std::min(prompt_len, full.size()), kIgnoreLabel);
  }
  return out;
}

size_t count_trained(const TokenizedExample& ex) {
  return size_t(std::count_if(ex.labels.begin(), ex.labels.end(),
                              [](int32_t l) { return l != kIgnoreLabel; }));
}

}  // namespace ft::data
