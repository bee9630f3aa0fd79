// The BPE model of a tokenizer.json ("model": {"type": "BPE", ...}): vocabulary, ranked merges in
// either the "a b" string form or the ["a", "b"] list form, byte_fallback, ignore_merges, unk_token
// and fuse_unk. A word is merged with a priority queue over a linked list of symbols, so long words
// cost O(n log n), and results for short words are cached.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "text/json_fields.h"

namespace ft {

class BpeModel {
 public:
  BpeModel(const nlohmann::json& model, const json_fields::Where& where);

  // Appends the ids of one pre-tokenized word (valid UTF-8).
  void encode_word(std::string_view word, std::vector<int>& out) const;

  std::optional<int> token_to_id(std::string_view token) const;
  // Empty for ids outside the vocabulary.
  const std::string& id_to_token(int id) const;
  int size() const { return static_cast<int>(id_to_token_.size()); }

 private:
  struct Merge {
    int rank;
    int result;
  };
  static std::uint64_t pair_key(int a, int b) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(a)) << 32) |
           static_cast<std::uint32_t>(b);
  }
  void initial_symbols(std::string_view word, std::vector<int>& ids, std::vector<int>& lengths) const;
  void merge(std::vector<int>& ids, std::vector<int>& lengths) const;

  // Transparent hashing: lookups by string_view without building a std::string.
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, int, StringHash, std::equal_to<>> vocab_;
  std::vector<std::string> id_to_token_;
  std::unordered_map<std::uint64_t, Merge> merges_;
  std::optional<int> unk_id_;
  bool byte_fallback_ = false;
  bool ignore_merges_ = false;
  bool fuse_unk_ = false;
  int byte_ids_[256];  // id of "<0xAB>" per byte, -1 when absent

  mutable std::shared_mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int>> cache_;
};

}  // namespace ft
