// Tokenizer settings that live beside the vocabulary in a Hugging Face model directory:
// tokenizer_config.json (add_bos_token, add_eos_token, bos/eos tokens as a string or an AddedToken
// dict, added_tokens_decoder, chat_template as a string or a list of named templates -> "default"),
// special_tokens_map.json (bos/eos when the config lacks them), chat_template.jinja (preferred, as in
// newer transformers) and generation_config.json (eos_token_id, an int or a list: the stop tokens).
// Every file is optional; a present but malformed one is an error naming the file and field.
#pragma once
#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "text/added_tokens.h"

namespace ft {

struct TokenizerConfig {
  std::optional<bool> add_bos_token;
  std::optional<bool> add_eos_token;
  std::optional<std::string> bos_token;
  std::optional<std::string> eos_token;
  std::vector<AddedToken> added_tokens;  // from added_tokens_decoder
  std::optional<std::string> chat_template;
  std::vector<int> generation_eos_ids;
};

TokenizerConfig read_tokenizer_config(const std::filesystem::path& dir);

// Reads and parses a JSON file; throws ft::Error naming it when it cannot be read or parsed.
nlohmann::json read_json_file(const std::filesystem::path& path);

}  // namespace ft

namespace ft {

class Tokenizer;

// What the vocabulary file itself says about BOS/EOS (SentencePiece ids, tokenizer.json's
// post_processor template); tokenizer_config.json overrides it where it has a say.
struct SpecialTokenDefaults {
  std::optional<int> bos_id;
  std::optional<int> eos_id;
  bool add_bos = false;
  bool add_eos = false;
};

// Sets bos_id, eos_id, eos_ids, add_bos, add_eos and chat_template of `tok`. A bos/eos token named
// in the config but missing from the vocabulary is an error naming `config_file`.
void apply_tokenizer_config(Tokenizer& tok, const TokenizerConfig& config,
                            const SpecialTokenDefaults& defaults, const std::string& config_file);

}  // namespace ft
