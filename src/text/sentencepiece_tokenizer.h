// A SentencePiece `tokenizer.model` (Llama 2, TinyLlama, stories260k) through libsentencepiece,
// encoding as transformers' slow LlamaTokenizer with legacy=True: the text is split at special and
// added tokens ("<s>" in the text becomes id 1, which sentencepiece alone would not do), each piece
// is encoded by sentencepiece (dummy-prefix "▁" included), and BOS is prepended when add_bos.
// Decode runs sentencepiece over each run of ordinary ids; special token text sits between runs.
#pragma once
#include <filesystem>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "text/added_tokens.h"
#include "text/tokenizer.h"
#include "text/tokenizer_config.h"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace ft {

class SentencePieceTokenizer final : public Tokenizer {
 public:
  SentencePieceTokenizer(const std::filesystem::path& model_file, const TokenizerConfig& config);
  ~SentencePieceTokenizer() override;

  std::vector<int> encode(std::string_view text, const EncodeOptions& opt = {}) const override;
  std::string decode(const std::vector<int>& ids, bool skip_special_tokens = true) const override;
  int vocab_size() const override;
  std::optional<int> token_to_id(std::string_view token) const override;
  std::string id_to_token(int id) const override;
  bool is_special(int id) const override { return special_ids_.count(id) > 0; }

 private:
  std::unique_ptr<sentencepiece::SentencePieceProcessor> sp_;
  std::unique_ptr<AddedTokenMatcher> added_;
  std::unordered_map<int, std::string> added_by_id_;  // added tokens beyond the model's pieces
  std::unordered_set<int> added_ids_;                 // every id that decodes as its own text
  std::unordered_set<int> special_ids_;
};

}  // namespace ft
