// Packing and collation: concat as the reference (joined, cut into blocks, remainder dropped) and
// document packing, whose segments reproduce each unpacked example exactly (ids, positions, and
// the labels that are loss targets); padding to a multiple of 8.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "core/error.h"
#include "data/collate.h"
#include "data/packing.h"

namespace ft::data {
namespace {

TokenizedExample example(int first_id, int len, int masked) {
  TokenizedExample ex;
  for (int i = 0; i < len; ++i) {
    ex.ids.push_back(first_id + i);
    ex.labels.push_back(i < masked ? kIgnoreLabel : first_id + i);
  }
  return ex;
}

std::vector<TokenizedExample> sample_examples() {
  std::vector<TokenizedExample> v;
  const int lens[] = {5, 12, 3, 16, 7, 9, 1, 14, 4};
  for (int i = 0; i < 9; ++i) v.push_back(example(1000 * (i + 1), lens[i], i % 3));
  return v;
}

TEST(DataPacking, NoneKeepsExamples) {
  const auto ex = sample_examples();
  const auto seqs = pack_examples(ex, PackingMode::kNone, 16);
  ASSERT_EQ(seqs.size(), ex.size());
  EXPECT_EQ(seqs[1].ids, ex[1].ids);
  EXPECT_EQ(seqs[1].labels, ex[1].labels);
  EXPECT_EQ(seqs[1].positions.back(), 11);
}

TEST(DataPacking, ConcatCutsBlocksAndDropsRemainder) {
  const auto ex = sample_examples();
  std::vector<int32_t> all_ids, all_labels;
  for (const auto& e : ex) {
    all_ids.insert(all_ids.end(), e.ids.begin(), e.ids.end());
    all_labels.insert(all_labels.end(), e.labels.begin(), e.labels.end());
  }
  const auto seqs = pack_examples(ex, PackingMode::kConcat, 16);
  ASSERT_EQ(seqs.size(), all_ids.size() / 16);
  for (size_t b = 0; b < seqs.size(); ++b) {
    ASSERT_EQ(seqs[b].size(), 16u);
    EXPECT_TRUE(std::equal(seqs[b].ids.begin(), seqs[b].ids.end(), all_ids.begin() + std::ptrdiff_t(16 * b)));
    EXPECT_TRUE(std::equal(seqs[b].labels.begin(), seqs[b].labels.end(), all_labels.begin() + std::ptrdiff_t(16 * b)));
    EXPECT_EQ(seqs[b].positions[15], 15);
  }
}

TEST(DataPacking, DocumentSegmentsReproduceUnpackedExamples) {
  const auto ex = sample_examples();
  const int block = 16;
  const auto seqs = pack_examples(ex, PackingMode::kDocument, block);
  std::map<int32_t, int> seen;  // first id of an example -> times seen
  size_t packed_tokens = 0;
  for (const auto& s : seqs) {
    ASSERT_LE(s.size(), size_t(block));
    packed_tokens += s.size();
    for (size_t start = 0; start < s.size();) {
      size_t end = start;
      while (end < s.size() && s.segments[end] == s.segments[start]) ++end;
      const int32_t first = s.ids[start];
      const auto it = std::find_if(ex.begin(), ex.end(), [&](const auto& e) { return e.ids[0] == first; });
      ASSERT_NE(it, ex.end());
      const auto& e = *it;
      ASSERT_EQ(end - start, e.ids.size());
      seen[first]++;
      for (size_t k = 0; k < e.ids.size(); ++k) {
        EXPECT_EQ(s.ids[start + k], e.ids[k]);
        EXPECT_EQ(s.positions[start + k], int32_t(k));
        // Position 0's label is never a target; every later label must match the example's.
        EXPECT_EQ(s.labels[start + k], k == 0 ? kIgnoreLabel : e.labels[k]);
      }
      start = end;
    }
  }
  EXPECT_EQ(seen.size(), ex.size());
  for (const auto& [id, n] : seen) EXPECT_EQ(n, 1) << id;
  size_t total = 0;
  for (const auto& e : ex) total += e.ids.size();
  EXPECT_EQ(packed_tokens, total);
  EXPECT_LE(seqs.size(), (total + block - 1) / block + 1);  // best-fit packs close to the bound
}

TEST(DataPacking, ParseModes) {
  EXPECT_EQ(parse_packing_mode("document"), PackingMode::kDocument);
  EXPECT_EQ(parse_packing_mode("concat"), PackingMode::kConcat);
  EXPECT_EQ(parse_packing_mode("none"), PackingMode::kNone);
  EXPECT_THROW(parse_packing_mode("greedy"), ft::Error);
}

TEST(DataCollate, PadsToLongestRoundedToEight) {
  const auto seqs = pack_examples({example(10, 3, 1), example(20, 9, 2)}, PackingMode::kNone, 16);
  const Batch b = collate({&seqs[0], &seqs[1]}, /*pad_id=*/0);
  EXPECT_EQ(b.B, 2);
  EXPECT_EQ(b.T, 16);
  EXPECT_EQ(b.ids[0], 10);
  EXPECT_EQ(b.ids[3], 0);
  EXPECT_EQ(b.labels[3], kIgnoreLabel);
  EXPECT_EQ(b.segments[3], -1);
  EXPECT_EQ(b.segments[2], 0);
  EXPECT_EQ(b.ids[16 + 8], 28);
  EXPECT_EQ(b.segments[16 + 9], -1);
  EXPECT_EQ(b.target_tokens, 2u + 7u);
  const auto one = pack_examples({example(1, 8, 0)}, PackingMode::kNone, 16);
  EXPECT_EQ(collate({&one[0]}, 0).T, 8);
}

}  // namespace
}  // namespace ft::data
