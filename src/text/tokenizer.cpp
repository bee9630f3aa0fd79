#include "text/tokenizer.h"

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "text/bpe_tokenizer.h"
#include "text/sentencepiece_tokenizer.h"
#include "text/tokenizer_config.h"

namespace ft {

namespace fs = std::filesystem;

void apply_tokenizer_config(Tokenizer& tok, const TokenizerConfig& config,
                            const SpecialTokenDefaults& defaults, const std::string& config_file) {
  auto resolve = [&](const std::optional<std::string>& token, const char* field,
                     std::optional<int> fallback) -> std::optional<int> {
    if (!token) return fallback;
    const std::optional<int> id = tok.token_to_id(*token);
    if (!id) fail_input(config_file, std::string(field) + " \"" + *token + "\" is not in the vocabulary");
    return id;
  };
  tok.bos_id = resolve(config.bos_token, "bos_token", defaults.bos_id);
  tok.eos_id = resolve(config.eos_token, "eos_token", defaults.eos_id);
  tok.add_bos = config.add_bos_token.value_or(defaults.add_bos) && tok.bos_id.has_value();
  tok.add_eos = config.add_eos_token.value_or(defaults.add_eos) && tok.eos_id.has_value();
  tok.eos_ids.clear();
  if (tok.eos_id) tok.eos_ids.push_back(*tok.eos_id);
  for (int id : config.generation_eos_ids)
    if (std::find(tok.eos_ids.begin(), tok.eos_ids.end(), id) == tok.eos_ids.end())
      tok.eos_ids.push_back(id);
  tok.chat_template = config.chat_template;
}

std::unique_ptr<Tokenizer> Tokenizer::load(const std::string& dir) {
  const fs::path root(dir);
  if (!fs::is_directory(root))
    fail_input(dir, "is not a directory (expected a model or tokenizer directory)");
  const TokenizerConfig config = read_tokenizer_config(root);
  if (fs::exists(root / "tokenizer.json"))
    return std::make_unique<BpeTokenizer>(root / "tokenizer.json", config);
  if (fs::exists(root / "tokenizer.model"))
    return std::make_unique<SentencePieceTokenizer>(root / "tokenizer.model", config);
  fail_input(dir, "no tokenizer found: looked for tokenizer.json and tokenizer.model in this directory");
}

}  // namespace ft
