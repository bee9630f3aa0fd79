#include "text/sentencepiece_tokenizer.h"

#include <sentencepiece_processor.h>

#include <algorithm>

#include "core/error.h"
#include "text/utf8.h"

namespace ft {

SentencePieceTokenizer::SentencePieceTokenizer(const std::filesystem::path& model_file,
                                               const TokenizerConfig& config)
    : sp_(std::make_unique<sentencepiece::SentencePieceProcessor>()) {
  const auto status = sp_->Load(model_file.string());
  if (!status.ok())
    fail_input(model_file.string(), "is not a valid SentencePiece model (" + status.ToString() + ")");

  // As LlamaTokenizer: unk, bos, eos (the model's control/unknown pieces) are special tokens
  // matched in the text, plus whatever tokenizer_config.json's added_tokens_decoder lists.
  std::vector<AddedToken> added;
  for (int id = 0; id < sp_->GetPieceSize(); ++id)
    if (sp_->IsControl(id) || sp_->IsUnknown(id)) {
      AddedToken t;
      t.content = sp_->IdToPiece(id);
      t.id = id;
      t.special = true;
      added.push_back(t);
    }
  for (const AddedToken& t : config.added_tokens) {
    if (t.id < 0) continue;
    if (t.id >= sp_->GetPieceSize()) added_by_id_.emplace(t.id, t.content);
    added.push_back(t);
  }
  for (const AddedToken& t : added) {
    added_ids_.insert(t.id);
    if (t.special) special_ids_.insert(t.id);
  }
  added_ = std::make_unique<AddedTokenMatcher>(added);

  SpecialTokenDefaults defaults;
  if (sp_->bos_id() >= 0) defaults.bos_id = sp_->bos_id();
  if (sp_->eos_id() >= 0) defaults.eos_id = sp_->eos_id();
  defaults.add_bos = true;  // LlamaTokenizer's default add_bos_token
  apply_tokenizer_config(*this, config, defaults,
                         (model_file.parent_path() / "tokenizer_config.json").string());
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

std::vector<int> SentencePieceTokenizer::encode(std::string_view text, const EncodeOptions& opt) const {
  const std::string valid = utf8::sanitize(text);
  std::vector<int> ids;
  if (opt.add_special_tokens && add_bos && bos_id) ids.push_back(*bos_id);
  std::vector<int> piece_ids;
  for (const TextSegment& seg : added_->split(valid, opt.parse_special)) {
    if (seg.token_id >= 0) {
      ids.push_back(seg.token_id);
      continue;
    }
    piece_ids.clear();
    const auto status = sp_->Encode(seg.text, &piece_ids);
    if (!status.ok()) throw Error(kExitBadInput, "sentencepiece encode failed: " + status.ToString());
    ids.insert(ids.end(), piece_ids.begin(), piece_ids.end());
  }
  if (opt.add_special_tokens && add_eos && eos_id) ids.push_back(*eos_id);
  return ids;
}

std::string SentencePieceTokenizer::decode(const std::vector<int>& ids, bool skip_special_tokens) const {
  std::string out;
  std::vector<int> run;
  auto flush = [&] {
    if (run.empty()) return;
    std::string text;
    const auto status = sp_->Decode(run, &text);
    if (status.ok()) out += text;
    run.clear();
  };
  const int pieces = sp_->GetPieceSize();
  for (int id : ids) {
    if (added_ids_.count(id)) {
      flush();
      if (!(skip_special_tokens && is_special(id))) out += id_to_token(id);
    } else if (id >= 0 && id < pieces) {
      run.push_back(id);
    }
  }
  flush();
  return utf8::sanitize(out);
}

int SentencePieceTokenizer::vocab_size() const {
  int size = sp_->GetPieceSize();
  for (const auto& [id, content] : added_by_id_) size = std::max(size, id + 1);
  return size;
}

std::optional<int> SentencePieceTokenizer::token_to_id(std::string_view token) const {
  for (const auto& [id, content] : added_by_id_)
    if (content == token) return id;
  const int id = sp_->PieceToId(token);
  if (id == sp_->unk_id() && sp_->IdToPiece(id) != token) return std::nullopt;
  return id;
}

std::string SentencePieceTokenizer::id_to_token(int id) const {
  const auto it = added_by_id_.find(id);
  if (it != added_by_id_.end()) return it->second;
  if (id < 0 || id >= sp_->GetPieceSize()) return {};
  return sp_->IdToPiece(id);
}

}  // namespace ft
