#include "data/packing.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <string>

#include "core/error.h"

namespace ft::data {

PackingMode parse_packing_mode(std::string_view name) {
  if (name == "none") return PackingMode::kNone;
  if (name == "concat") return PackingMode::kConcat;
  if (name == "document") return PackingMode::kDocument;
  fail_usage("--packing \"" + std::string(name) + "\" is not known; use document, concat or none");
}

const char* packing_mode_name(PackingMode mode) {
  switch (mode) {
    case PackingMode::kNone: return "none";
    case PackingMode::kConcat: return "concat";
    case PackingMode::kDocument: return "document";
  }
  return "?";
}

namespace {

void append_example(Sequence& seq, const TokenizedExample& ex, int32_t segment, bool mask_first) {
  seq.ids.insert(seq.ids.end(), ex.ids.begin(), ex.ids.end());
  const size_t start = seq.labels.size();
  seq.labels.insert(seq.labels.end(), ex.labels.begin(), ex.labels.end());
  if (mask_first && !ex.labels.empty()) seq.labels[start] = kIgnoreLabel;
  for (size_t i = 0; i < ex.ids.size(); ++i) {
    seq.positions.push_back(int32_t(i));
    seq.segments.push_back(segment);
  }
}

std::vector<Sequence> pack_none(const std::vector<TokenizedExample>& examples) {
  std::vector<Sequence> out(examples.size());
  for (size_t i = 0; i < examples.size(); ++i) append_example(out[i], examples[i], 0, false);
  return out;
}

std::vector<Sequence> pack_concat(const std::vector<TokenizedExample>& examples, size_t block) {
  Sequence all;
  for (const auto& ex : examples) append_example(all, ex, 0, false);
  std::vector<Sequence> out(all.ids.size() / block);
  for (size_t b = 0; b < out.size(); ++b) {
    const auto from = std::ptrdiff_t(b * block), to = std::ptrdiff_t((b + 1) * block);
    out[b].ids.assign(all.ids.begin() + from, all.ids.begin() + to);
    out[b].labels.assign(all.labels.begin() + from, all.labels.begin() + to);
    out[b].positions.resize(block);
    std::iota(out[b].positions.begin(), out[b].positions.end(), 0);
    out[b].segments.assign(block, 0);
  }
  return out;
}

// Best-fit decreasing: longest examples first, each into the open block with the least room that
// still holds it. Ties keep dataset order, so the result is deterministic.
std::vector<Sequence> pack_documents(const std::vector<TokenizedExample>& examples, size_t block) {
  std::vector<size_t> order(examples.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return examples[a].ids.size() > examples[b].ids.size();
  });
  std::vector<std::vector<size_t>> members;
  std::multimap<size_t, size_t> room_to_block;  // remaining room -> block index
  for (const size_t i : order) {
    const size_t len = examples[i].ids.size();
    if (len == 0) continue;
    auto it = room_to_block.lower_bound(len);
    size_t b;
    size_t room;
    if (it == room_to_block.end()) {
      b = members.size();
      members.emplace_back();
      room = block;
    } else {
      b = it->second;
      room = it->first;
      room_to_block.erase(it);
    }
    members[b].push_back(i);
    if (room > len) room_to_block.emplace(room - len, b);
  }
  std::vector<Sequence> out(members.size());
  for (size_t b = 0; b < members.size(); ++b) {
    std::sort(members[b].begin(), members[b].end());
    for (size_t k = 0; k < members[b].size(); ++k)
      append_example(out[b], examples[members[b][k]], int32_t(k), true);
  }
  return out;
}

}  // namespace

std::vector<Sequence> pack_examples(const std::vector<TokenizedExample>& examples, PackingMode mode,
                                    int max_seq_length) {
  switch (mode) {
    case PackingMode::kNone: return pack_none(examples);
    case PackingMode::kConcat: return pack_concat(examples, size_t(max_seq_length));
    case PackingMode::kDocument: return pack_documents(examples, size_t(max_seq_length));
  }
  return {};
}

}  // namespace ft::data
