// Tokenizers behind one interface, loaded from a model directory: SentencePiece `tokenizer.model`
// (libsentencepiece) or Hugging Face `tokenizer.json` (byte-level BPE, or SentencePiece-style BPE
// with byte fallback), plus added/special tokens and BOS/EOS settings from tokenizer_config.json,
// special_tokens_map.json and generation_config.json. Results match the reference Python packages.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ft {

struct EncodeOptions {
  bool add_special_tokens = true;  // prepend BOS / append EOS as the tokenizer config says
  bool parse_special = true;       // recognise added/special token text such as "<|eot_id|>"
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  virtual std::vector<int> encode(std::string_view text, const EncodeOptions& opt = {}) const = 0;
  virtual std::string decode(const std::vector<int>& ids, bool skip_special_tokens = true) const = 0;
  virtual int vocab_size() const = 0;
  virtual std::optional<int> token_to_id(std::string_view token) const = 0;
  virtual std::string id_to_token(int id) const = 0;

  std::optional<int> bos_id;
  std::vector<int> eos_ids;  // generation stops at any of these
  bool add_bos = false;
  bool add_eos = false;
  std::optional<std::string> chat_template;

  // Loads from a model/tokenizer directory; throws ft::Error naming the file on bad input.
  static std::unique_ptr<Tokenizer> load(const std::string& dir);
};

}  // namespace ft
