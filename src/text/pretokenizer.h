// tokenizer.json pre-tokenizers: cut normalized text into words before BPE, as HF `tokenizers`
// does. Supported: Split (String or Regex pattern, every SplitDelimiterBehavior, invert), ByteLevel
// (add_prefix_space, use_regex with GPT-2's pattern), Metaspace (replacement, prepend_scheme or
// legacy add_prefix_space, split) and Sequence. Anything else is a clear error naming the file.
#pragma once
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "text/json_fields.h"

namespace ft {

struct PreToken {
  std::string text;
  bool at_input_start;  // begins at offset 0 of the whole input (Metaspace prepend_scheme "first")
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  virtual void split(std::vector<PreToken>& pieces) const = 0;
};

// Null JSON gives nullptr (no pre-tokenization: the whole segment is one word).
std::unique_ptr<PreTokenizer> parse_pre_tokenizer(const nlohmann::json& j,
                                                  const json_fields::Where& where);

}  // namespace ft
