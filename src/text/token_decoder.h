// tokenizer.json decoders: turn the token strings of a decode back into text, as HF `tokenizers`
// does (each step maps the list of token strings to a new list; the result is their
// concatenation). Supported: ByteLevel, Metaspace, Replace (String), ByteFallback, Fuse, Strip and
// Sequence. Without a decoder, tokens are joined with spaces (HF's default).
#pragma once
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "text/json_fields.h"

namespace ft {

class TokenDecoder {
 public:
  virtual ~TokenDecoder() = default;
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
};

std::unique_ptr<TokenDecoder> parse_token_decoder(const nlohmann::json& j,
                                                  const json_fields::Where& where);

// Runs `decoder` (may be null) over `tokens` and joins the result into valid UTF-8.
std::string decode_tokens(const TokenDecoder* decoder, std::vector<std::string> tokens);

}  // namespace ft
