#include "text/bpe_model.h"

#include <cstdio>
#include <mutex>
#include <queue>

#include "text/utf8.h"

namespace ft {
namespace {

using json_fields::Where;

constexpr std::size_t kCacheMaxEntries = 100000;
constexpr std::size_t kCacheMaxWordBytes = 256;

// Splits a merge given as "a b" or ["a", "b"]; false when it is neither.
bool parse_merge(const nlohmann::json& m, std::string_view& a, std::string_view& b) {
  if (m.is_string()) {
    const std::string_view s = m.get_ref<const std::string&>();
    const std::size_t space = s.find(' ');
    if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos) return false;
    a = s.substr(0, space);
    b = s.substr(space + 1);
    return true;
  }
  if (!(m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string())) return false;
  a = m[0].get_ref<const std::string&>();
  b = m[1].get_ref<const std::string&>();
  return true;
}

}  // namespace

BpeModel::BpeModel(const nlohmann::json& model, const Where& w) {
  const nlohmann::json& vocab = json_fields::require(model, "vocab", w);
  if (!vocab.is_object()) w.at("vocab").fail("expected an object of token: id");
  vocab_.reserve(vocab.size());
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    const std::string& token = it.key();
    const long long i = it->is_number_integer() ? it->get<long long>() : -1;
    if (i < 0 || i > 10'000'000) w.at("vocab").fail("token \"" + token + "\" has an invalid id");
    if (static_cast<std::size_t>(i) >= id_to_token_.size()) id_to_token_.resize(i + 1);
    id_to_token_[i] = token;
    vocab_.emplace(token, static_cast<int>(i));
  }

  const nlohmann::json& merges = json_fields::require(model, "merges", w);
  if (!merges.is_array()) w.at("merges").fail("expected a list");
  merges_.reserve(merges.size());
  std::string joined;
  for (std::size_t rank = 0; rank < merges.size(); ++rank) {
    std::string_view a, b;
    if (!parse_merge(merges[rank], a, b))
      w.at("merges").index(rank).fail("a merge must be \"a b\" (one space) or [\"a\", \"b\"], got " +
                                      merges[rank].dump());
    joined.assign(a).append(b);
    const auto ia = vocab_.find(a), ib = vocab_.find(b), ir = vocab_.find(std::string_view(joined));
    if (ia == vocab_.end() || ib == vocab_.end() || ir == vocab_.end())
      w.at("merges").index(rank).fail("merge \"" + std::string(a) + " " + std::string(b) +
                                      "\" uses a token missing from model.vocab");
    merges_.emplace(pair_key(ia->second, ib->second), Merge{static_cast<int>(rank), ir->second});
  }

  byte_fallback_ = json_fields::get_bool(model, "byte_fallback", false, w);
  ignore_merges_ = json_fields::get_bool(model, "ignore_merges", false, w);
  fuse_unk_ = json_fields::get_bool(model, "fuse_unk", false, w);
  const auto dropout = model.find("dropout");
  if (dropout != model.end() && !dropout->is_null() &&
      !(dropout->is_number() && dropout->get<double>() <= 0.0))
    w.at("dropout").fail("BPE dropout is not supported (set it to null)");
  if (!json_fields::get_string_or(model, "continuing_subword_prefix", "", w).empty() ||
      !json_fields::get_string_or(model, "end_of_word_suffix", "", w).empty())
    w.fail("continuing_subword_prefix / end_of_word_suffix are not supported");
  const std::string unk = json_fields::get_string_or(model, "unk_token", "", w);
  if (!unk.empty()) {
    const auto it = vocab_.find(unk);
    if (it == vocab_.end()) w.at("unk_token").fail("\"" + unk + "\" is not in model.vocab");
    unk_id_ = it->second;
  }
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    const auto it = vocab_.find(name);
    byte_ids_[b] = it == vocab_.end() ? -1 : it->second;
  }
}

std::optional<int> BpeModel::token_to_id(std::string_view token) const {
  const auto it = vocab_.find(token);
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

const std::string& BpeModel::id_to_token(int id) const {
  static const std::string empty;
  if (id < 0 || static_cast<std::size_t>(id) >= id_to_token_.size()) return empty;
  return id_to_token_[id];
}

// One symbol per character: its vocabulary id, else its bytes' "<0xAB>" ids (byte_fallback), else
// unk (consecutive unks fused when fuse_unk); characters with none of these are dropped, as in HF.
void BpeModel::initial_symbols(std::string_view word, std::vector<int>& ids,
                               std::vector<int>& lengths) const {
  bool previous_unk = false;
  for (std::size_t i = 0; i < word.size();) {
    const std::size_t start = i;
    utf8::next(word, i);
    const std::string_view ch = word.substr(start, i - start);
    const auto it = vocab_.find(ch);
    if (it != vocab_.end()) {
      ids.push_back(it->second);
      lengths.push_back(static_cast<int>(ch.size()));
      previous_unk = false;
      continue;
    }
    if (byte_fallback_) {
      bool all = true;
      for (char c : ch) all = all && byte_ids_[static_cast<unsigned char>(c)] >= 0;
      if (all) {
        for (char c : ch) {
          ids.push_back(byte_ids_[static_cast<unsigned char>(c)]);
          lengths.push_back(1);
        }
        previous_unk = false;
        continue;
      }
    }
    if (!unk_id_) continue;
    if (fuse_unk_ && previous_unk) {
      lengths.back() += static_cast<int>(ch.size());
    } else {
      ids.push_back(*unk_id_);
      lengths.push_back(static_cast<int>(ch.size()));
    }
    previous_unk = true;
  }
}

// Applies merges lowest rank first (leftmost on ties), like HF's Word::merge_all. A merged
// symbol's length becomes 0 in place of removal; prev/next link the live ones.
void BpeModel::merge(std::vector<int>& ids, std::vector<int>& lengths) const {
  const int n = static_cast<int>(ids.size());
  std::vector<int> prev(n), next(n);
  for (int i = 0; i < n; ++i) {
    prev[i] = i - 1;
    next[i] = i + 1 < n ? i + 1 : -1;
  }
  struct Candidate {
    int rank, pos, result;
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
  auto push = [&](int left) {
    if (left < 0 || next[left] < 0) return;
    const auto it = merges_.find(pair_key(ids[left], ids[next[left]]));
    if (it != merges_.end()) queue.push({it->second.rank, left, it->second.result});
  };
  for (int i = 0; i + 1 < n; ++i) push(i);
  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    const int right = next[top.pos];
    if (lengths[top.pos] == 0 || right < 0) continue;
    const auto it = merges_.find(pair_key(ids[top.pos], ids[right]));
    if (it == merges_.end() || it->second.result != top.result) continue;
    ids[top.pos] = top.result;
    lengths[top.pos] += lengths[right];
    lengths[right] = 0;
    next[top.pos] = next[right];
    if (next[right] >= 0) prev[next[right]] = top.pos;
    push(prev[top.pos]);
    push(top.pos);
  }
  int kept = 0;
  for (int i = 0; i < n; ++i)
    if (lengths[i] > 0) ids[kept++] = ids[i];
  ids.resize(kept);
}

void BpeModel::encode_word(std::string_view word, std::vector<int>& out) const {
  if (word.empty()) return;
  if (ignore_merges_) {
    const auto it = vocab_.find(word);
    if (it != vocab_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  const bool cacheable = word.size() <= kCacheMaxWordBytes;
  std::string key;
  if (cacheable) {
    key.assign(word);
    std::shared_lock lock(cache_mutex_);
    const auto it = cache_.find(key);
    if (it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int> ids, lengths;
  initial_symbols(word, ids, lengths);
  merge(ids, lengths);
  out.insert(out.end(), ids.begin(), ids.end());
  if (cacheable) {
    std::unique_lock lock(cache_mutex_);
    if (cache_.size() < kCacheMaxEntries) cache_.emplace(std::move(key), std::move(ids));
  }
}

}  // namespace ft
