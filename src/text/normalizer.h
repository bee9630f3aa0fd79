// tokenizer.json normalizers, applied to each piece of text between added tokens before
// pre-tokenization: NFC/NFD/NFKC/NFKD (utf8proc), Prepend (only to non-empty text, as HF does),
// Replace with a String pattern, Lowercase, and Sequence. Others are a clear error naming the file.
#pragma once
#include <nlohmann/json.hpp>

#include <memory>
#include <string>

#include "text/json_fields.h"

namespace ft {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual std::string apply(std::string text) const = 0;  // text is valid UTF-8
};

// Null JSON gives nullptr (text is used as is).
std::unique_ptr<Normalizer> parse_normalizer(const nlohmann::json& j, const json_fields::Where& where);

}  // namespace ft
