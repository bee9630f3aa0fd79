// Split and sampling: fraction/percentage reading, a seeded disjoint split, per-epoch shuffles that
// depend only on (seed, epoch), disjoint rank shards whose union is the epoch, resume replay, and
// length grouping.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "core/error.h"
#include "data/sampler.h"
#include "data/split.h"

namespace ft::data {
namespace {

TEST(DataSplit, FractionOrPercentage) {
  std::string how;
  EXPECT_DOUBLE_EQ(validation_fraction(0.2, how), 0.2);
  EXPECT_NE(how.find("fraction"), std::string::npos);
  EXPECT_DOUBLE_EQ(validation_fraction(20, how), 0.2);
  EXPECT_NE(how.find("percentage"), std::string::npos);
  EXPECT_DOUBLE_EQ(validation_fraction(0, how), 0);
  EXPECT_THROW(validation_fraction(100, how), ft::Error);
  EXPECT_THROW(validation_fraction(-1, how), ft::Error);
}

TEST(DataSplit, SeededDisjointAndComplete) {
  const auto a = split_indices(101, 0.2, 42);
  EXPECT_EQ(a.eval.size(), 21u);  // ceil(0.2 * 101), as datasets' train_test_split
  EXPECT_EQ(a.train.size(), 80u);
  std::set<size_t> all(a.train.begin(), a.train.end());
  all.insert(a.eval.begin(), a.eval.end());
  EXPECT_EQ(all.size(), 101u);
  EXPECT_EQ(split_indices(101, 0.2, 42).eval, a.eval);
  EXPECT_NE(split_indices(101, 0.2, 43).eval, a.eval);
  auto limited = a.train;
  limit_samples(limited, 5);
  EXPECT_EQ(limited, std::vector<size_t>(a.train.begin(), a.train.begin() + 5));
}

TEST(DataSampler, EpochsDifferAndReplay) {
  SamplerOptions opt;
  opt.batch_size = 4;
  BatchSampler s(std::vector<size_t>(30, 1), opt);
  EXPECT_EQ(s.batches_per_epoch(), 8u);
  EXPECT_NE(s.batch(0, 0), s.batch(1, 0));
  BatchSampler again(std::vector<size_t>(30, 1), opt);
  EXPECT_EQ(s.batch(3, 2), again.batch(3, 2));
}

TEST(DataSampler, RanksAreDisjointAndCoverTheEpoch) {
  const size_t n = 37;
  std::multiset<size_t> seen;
  size_t batches = 0;
  for (int rank = 0; rank < 3; ++rank) {
    SamplerOptions opt;
    opt.batch_size = 4;
    opt.rank = rank;
    opt.world_size = 3;
    BatchSampler s(std::vector<size_t>(n, 1), opt);
    if (rank == 0) batches = s.batches_per_epoch();
    EXPECT_EQ(s.batches_per_epoch(), batches);
    for (size_t b = 0; b < s.batches_per_epoch(); ++b)
      for (size_t i : s.batch(5, b)) seen.insert(i);
  }
  EXPECT_EQ(seen.size(), n);
  EXPECT_EQ(std::set<size_t>(seen.begin(), seen.end()).size(), n);
}

TEST(DataSampler, GroupByLengthSortsWithinMegabatches) {
  std::vector<size_t> lengths;
  for (size_t i = 0; i < 40; ++i) lengths.push_back((i * 37) % 101);
  SamplerOptions opt;
  opt.batch_size = 2;
  opt.group_by_length = true;
  BatchSampler s(lengths, opt);
  std::vector<size_t> order;
  for (size_t b = 0; b < s.batches_per_epoch(); ++b)
    for (size_t i : s.batch(0, b)) order.push_back(lengths[i]);
  EXPECT_EQ(order.size(), 40u);
  EXPECT_TRUE(std::is_sorted(order.rbegin(), order.rend()));  // one megabatch of 100 > 40
}

}  // namespace
}  // namespace ft::data
