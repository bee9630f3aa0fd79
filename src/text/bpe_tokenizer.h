// A Hugging Face tokenizer.json with a BPE model, run as HF `tokenizers` does: added tokens are
// cut out of the text, each remaining piece is normalized, pre-tokenized and BPE-encoded, and the
// post_processor's template (TemplateProcessing, Roberta/Bert processing; ByteLevel is a no-op)
// supplies BOS/EOS. Other model types (WordPiece, Unigram, WordLevel) are a clear error.
#pragma once
#include <filesystem>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "text/added_tokens.h"
#include "text/bpe_model.h"
#include "text/normalizer.h"
#include "text/pretokenizer.h"
#include "text/token_decoder.h"
#include "text/tokenizer.h"
#include "text/tokenizer_config.h"

namespace ft {

class BpeTokenizer final : public Tokenizer {
 public:
  BpeTokenizer(const std::filesystem::path& tokenizer_json, const TokenizerConfig& config);

  std::vector<int> encode(std::string_view text, const EncodeOptions& opt = {}) const override;
  std::string decode(const std::vector<int>& ids, bool skip_special_tokens = true) const override;
  int vocab_size() const override;
  std::optional<int> token_to_id(std::string_view token) const override;
  std::string id_to_token(int id) const override;
  bool is_special(int id) const override { return special_ids_.count(id) > 0; }

 private:
  void encode_plain(std::string_view text, bool at_input_start, bool parse_special,
                    std::vector<int>& out) const;

  std::unique_ptr<BpeModel> model_;
  std::unique_ptr<Normalizer> normalizer_;
  std::unique_ptr<PreTokenizer> pre_tokenizer_;
  std::unique_ptr<TokenDecoder> decoder_;
  std::unique_ptr<AddedTokenMatcher> raw_tokens_;         // matched on the text as given
  std::unique_ptr<AddedTokenMatcher> normalized_tokens_;  // matched after normalization
  std::unordered_map<int, std::string> added_by_id_;
  std::unordered_map<std::string, int> added_by_text_;
  std::unordered_set<int> special_ids_;
};

}  // namespace ft
