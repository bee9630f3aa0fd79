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
  const size_t prompt_len = ex.prompt.empty() ? 0 : std::min(tok.encode(ex.prompt, opt).size(), max_len);
  // A reply that already holds EOS gets no second one: chat templates end each turn with it and
  // may add text after it (ChatML's "<|im_end|>\n"), where appending gave "<|im_end|>\n<|im_end|>".
  if (tok.eos_id) {
    const int eos = *tok.eos_id;
    const auto reply = full.begin() + static_cast<std::ptrdiff_t>(std::min(prompt_len, full.size()));
    if (std::find(reply, full.end(), eos) == full.end() && full.size() < max_len) full.push_back(eos);
  }
  out.example.ids.assign(full.begin(), full.end());
  out.example.labels = out.example.ids;
  if (!train_on_inputs && prompt_len > 0)
    std::fill_n(out.example.labels.begin(), std::min(prompt_len, full.size()), kIgnoreLabel);
  return out;
}

size_t count_trained(const TokenizedExample& ex) {
  return size_t(std::count_if(ex.labels.begin(), ex.labels.end(),
                              [](int32_t l) { return l != kIgnoreLabel; }));
}

}  // namespace ft::data
