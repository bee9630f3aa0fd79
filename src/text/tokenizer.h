// Tokenizers behind one interface, loaded from a model directory: Hugging Face `tokenizer.json`
// (BPE: byte-level like Llama 3 / Qwen / GPT-2, or SentencePiece-style with byte fallback like
// Mistral) when present, else SentencePiece `tokenizer.model` (libsentencepiece, encoding as
// transformers' slow LlamaTokenizer with legacy=True). Added/special tokens and BOS/EOS settings
// come from tokenizer.json, tokenizer_config.json, special_tokens_map.json and
// generation_config.json. Results match the reference Python packages (tests/fixtures/tokenizers).
// Input text that is not valid UTF-8 is not an error: each invalid sequence is read as U+FFFD.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ft {

struct EncodeOptions {
  bool add_special_tokens = true;  // prepend BOS / append EOS as the tokenizer config says
  // Recognise special token text such as "<|eot_id|>" or "<s>" as its id (HF's default). When
  // false, special tokens in the text are tokenized as plain text; non-special added tokens are
  // still recognised, as with HF's split_special_tokens.
  bool parse_special = true;
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  virtual std::vector<int> encode(std::string_view text, const EncodeOptions& opt = {}) const = 0;
  // Ids outside the vocabulary are ignored; skip_special_tokens drops BOS/EOS/pad/unk and other
  // special added tokens (not plain added tokens such as Qwen's "<tool_call>").
  virtual std::string decode(const std::vector<int>& ids, bool skip_special_tokens = true) const = 0;
  virtual int vocab_size() const = 0;
  virtual std::optional<int> token_to_id(std::string_view token) const = 0;
  virtual std::string id_to_token(int id) const = 0;  // empty for an unknown id
  virtual bool is_special(int id) const = 0;

  std::optional<int> bos_id;
  std::optional<int> eos_id;  // the EOS token, appended when add_eos
  std::vector<int> eos_ids;   // generation stops at any of these (generation_config.json, else eos_id)
  bool add_bos = false;
  bool add_eos = false;
  std::optional<std::string> chat_template;

  // Loads from a model/tokenizer directory; throws ft::Error naming the file on bad input.
  static std::unique_ptr<Tokenizer> load(const std::string& dir);
};

}  // namespace ft
