#include "text/bpe_tokenizer.h"

#include "text/utf8.h"

namespace ft {

using json_fields::Where;

namespace {

// BOS/EOS as a post_processor adds them: special tokens before / after the sequence.
void read_post_processor(const nlohmann::json& j, const Where& w, SpecialTokenDefaults& out) {
  if (j.is_null()) return;
  const std::string type = json_fields::get_string(j, "type", w);
  auto pair_id = [&](const char* key) {
    const nlohmann::json& v = json_fields::require(j, key, w);
    if (!v.is_array() || v.size() != 2 || !v[1].is_number_integer())
      w.at(key).fail("expected [token, id]");
    return v[1].get<int>();
  };
  if (type == "ByteLevel") return;
  if (type == "RobertaProcessing" || type == "BertProcessing") {
    out.bos_id = pair_id("cls");
    out.eos_id = pair_id("sep");
    out.add_bos = out.add_eos = true;
    return;
  }
  if (type == "Sequence") {
    const nlohmann::json& list = json_fields::require(j, "processors", w);
    if (!list.is_array()) w.at("processors").fail("expected a list");
    for (std::size_t i = 0; i < list.size(); ++i)
      read_post_processor(list[i], w.at("processors").index(i), out);
    return;
  }
  if (type != "TemplateProcessing")
    w.at("type").fail("unsupported post_processor \"" + type + "\"");
  const nlohmann::json& single = json_fields::require(j, "single", w);
  const nlohmann::json& specials = json_fields::require(j, "special_tokens", w);
  if (!single.is_array()) w.at("single").fail("expected a list");
  bool after_sequence = false;
  for (std::size_t i = 0; i < single.size(); ++i) {
    const Where iw = w.at("single").index(i);
    if (single[i].contains("Sequence")) {
      after_sequence = true;
      continue;
    }
    const std::string name =
        json_fields::get_string(json_fields::require(single[i], "SpecialToken", iw), "id", iw.at("SpecialToken"));
    const nlohmann::json& entry = json_fields::require(specials, name.c_str(), w.at("special_tokens"));
    const nlohmann::json& ids = json_fields::require(entry, "ids", w.at("special_tokens").at(name));
    if (!ids.is_array() || ids.size() != 1 || !ids[0].is_number_integer())
      w.at("special_tokens").at(name).fail("expected \"ids\" to hold one token id");
    (after_sequence ? out.eos_id : out.bos_id) = ids[0].get<int>();
    (after_sequence ? out.add_eos : out.add_bos) = true;
  }
}

AddedToken read_added_token(const nlohmann::json& j, const Where& w) {
  AddedToken t;
  const nlohmann::json& id = json_fields::require(j, "id", w);
  if (!id.is_number_integer() || id.get<long long>() < 0) w.at("id").fail("expected a token id");
  t.id = id.get<int>();
  t.content = json_fields::get_string(j, "content", w);
  t.special = json_fields::get_bool(j, "special", false, w);
  t.lstrip = json_fields::get_bool(j, "lstrip", false, w);
  t.rstrip = json_fields::get_bool(j, "rstrip", false, w);
  t.single_word = json_fields::get_bool(j, "single_word", false, w);
  t.normalized = json_fields::get_bool(j, "normalized", !t.special, w);
  return t;
}

}  // namespace

BpeTokenizer::BpeTokenizer(const std::filesystem::path& tokenizer_json, const TokenizerConfig& config) {
  const nlohmann::json j = read_json_file(tokenizer_json);
  const Where w{tokenizer_json.string(), ""};
  if (!j.is_object()) w.fail("expected a JSON object");
  const nlohmann::json& model = json_fields::require(j, "model", w);
  const std::string type = json_fields::get_string_or(model, "type", "BPE", w.at("model"));
  if (type != "BPE")
    w.at("model.type").fail("model type \"" + type +
                            "\" is not supported (only BPE; not WordPiece, Unigram or WordLevel)");
  model_ = std::make_unique<BpeModel>(model, w.at("model"));
  auto field = [&](const char* key) { return j.contains(key) ? j[key] : nlohmann::json(); };
  normalizer_ = parse_normalizer(field("normalizer"), w.at("normalizer"));
  pre_tokenizer_ = parse_pre_tokenizer(field("pre_tokenizer"), w.at("pre_tokenizer"));
  decoder_ = parse_token_decoder(field("decoder"), w.at("decoder"));

  std::vector<AddedToken> added;
  const nlohmann::json added_json = j.contains("added_tokens") ? j["added_tokens"] : nlohmann::json::array();
  if (!added_json.is_array()) w.at("added_tokens").fail("expected a list");
  for (std::size_t i = 0; i < added_json.size(); ++i)
    added.push_back(read_added_token(added_json[i], w.at("added_tokens").index(i)));
  for (const AddedToken& t : config.added_tokens) added.push_back(t);  // duplicates are ignored
  std::vector<AddedToken> raw, normalized;
  for (const AddedToken& t : added) {
    if (!added_by_text_.emplace(t.content, t.id).second) continue;
    added_by_id_.emplace(t.id, t.content);
    if (t.special) special_ids_.insert(t.id);
    (t.normalized && normalizer_ ? normalized : raw).push_back(t);
  }
  raw_tokens_ = std::make_unique<AddedTokenMatcher>(raw);
  normalized_tokens_ = std::make_unique<AddedTokenMatcher>(normalized);

  SpecialTokenDefaults defaults;
  read_post_processor(field("post_processor"), w.at("post_processor"), defaults);
  apply_tokenizer_config(*this, config, defaults,
                         (tokenizer_json.parent_path() / "tokenizer_config.json").string());
}

void BpeTokenizer::encode_plain(std::string_view text, bool at_input_start, bool parse_special,
                                std::vector<int>& out) const {
  std::string normalized = normalizer_ ? normalizer_->apply(std::string(text)) : std::string(text);
  for (const TextSegment& seg : normalized_tokens_->split(normalized, parse_special)) {
    if (seg.token_id >= 0) {
      out.push_back(seg.token_id);
      continue;
    }
    std::vector<PreToken> words{{std::string(seg.text), at_input_start && seg.at_input_start}};
    if (pre_tokenizer_) pre_tokenizer_->split(words);
    for (const PreToken& word : words) model_->encode_word(word.text, out);
  }
}

std::vector<int> BpeTokenizer::encode(std::string_view text, const EncodeOptions& opt) const {
  const std::string valid = utf8::sanitize(text);
  std::vector<int> ids;
  if (opt.add_special_tokens && add_bos && bos_id) ids.push_back(*bos_id);
  for (const TextSegment& seg : raw_tokens_->split(valid, opt.parse_special)) {
    if (seg.token_id >= 0) ids.push_back(seg.token_id);
    else encode_plain(seg.text, seg.at_input_start, opt.parse_special, ids);
  }
  if (opt.add_special_tokens && add_eos && eos_id) ids.push_back(*eos_id);
  return ids;
}

std::string BpeTokenizer::decode(const std::vector<int>& ids, bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int id : ids) {
    if (skip_special_tokens && is_special(id)) continue;
    std::string token = id_to_token(id);
    if (!token.empty()) tokens.push_back(std::move(token));
  }
  return decode_tokens(decoder_.get(), std::move(tokens));
}

int BpeTokenizer::vocab_size() const {
  int size = model_->size();
  for (const auto& [id, content] : added_by_id_) size = std::max(size, id + 1);
  return size;
}

std::optional<int> BpeTokenizer::token_to_id(std::string_view token) const {
  const auto it = added_by_text_.find(std::string(token));
  if (it != added_by_text_.end()) return it->second;
  return model_->token_to_id(token);
}

std::string BpeTokenizer::id_to_token(int id) const {
  const auto it = added_by_id_.find(id);
  if (it != added_by_id_.end()) return it->second;
  return model_->id_to_token(id);
}

}  // namespace ft
