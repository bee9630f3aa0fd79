// Re-sharding on resume: which sequences each optimizer step takes (StepPositions over the
// BatchSampler's shares). A fresh run follows StepPlan exactly; a run checkpointed at one world size,
// per-device batch or accumulation and resumed at another sees every sequence of each epoch exactly
// once and ends where the requested epochs of data end.
#include <gtest/gtest.h>

#include <map>
#include <stdexcept>

#include "data/sampler.h"
#include "train/data_position.h"
#include "train/train_options.h"

namespace ft {
namespace {

struct Batching {
  int64_t per_device, world, accumulation;
  int64_t micro_batch() const { return per_device * world; }
};

// Every sequence index each (epoch, index) pair was trained on, over all ranks, for steps [from, to).
void consume(const StepPositions& positions, const Batching& b, const std::vector<size_t>& lengths,
             bool group_by_length, int64_t from, int64_t to, std::map<std::pair<int64_t, size_t>, int>& seen) {
  for (int rank = 0; rank < b.world; ++rank) {
    data::SamplerOptions opt;
    opt.seed = 3;
    opt.batch_size = size_t(b.per_device);
    opt.rank = rank;
    opt.world_size = int(b.world);
    opt.accumulation = size_t(b.accumulation);
    opt.group_by_length = group_by_length;
    const data::BatchSampler sampler(lengths, opt);
    for (int64_t step = from; step < to; ++step) {
      const int64_t epoch = positions.before(step).epoch;
      for (int64_t first : positions.micro_batch_starts(step))
        for (size_t i : sampler.share(uint64_t(epoch), size_t(first))) ++seen[{epoch, i}];
    }
  }
}

bool earlier(const DataPosition& a, const DataPosition& b) {
  return a.epoch < b.epoch || (a.epoch == b.epoch && a.consumed < b.consumed);
}

TEST(DistReshard, AFreshRunIsTheStepPlan) {
  for (int64_t n : {1, 7, 20, 37})
    for (int64_t mb : {1, 3, 4})
      for (int64_t acc : {1, 2, 5})
        for (double epochs : {0.3, 1.0, 2.5}) {
          TrainOptions o;
          o.gradient_accumulation_steps = acc;
          o.num_train_epochs = epochs;
          const StepPlan plan = plan_steps(o, (n + mb - 1) / mb);
          const StepPositions p(n, mb, acc);
          SCOPED_TRACE(testing::Message() << "n " << n << " mb " << mb << " acc " << acc << " epochs " << epochs);
          EXPECT_EQ(p.steps_per_epoch(), plan.steps_per_epoch);
          EXPECT_EQ(p.total_steps_for_epochs(epochs), plan.total_steps);
          // A fresh run's arithmetic: epochs of steps_per_epoch steps, the last one shorter.
          const int64_t spe = plan.steps_per_epoch, micro = plan.micro_batches_per_epoch;
          for (int64_t s = 0; s < plan.total_steps; ++s) {
            EXPECT_EQ(p.before(s).epoch, s / spe);
            EXPECT_EQ(p.micro_batch_starts(s).front(), (s % spe) * acc * mb);
            const double progress = double(s / spe) + double(std::min(micro, (s % spe + 1) * acc)) / double(micro);
            EXPECT_DOUBLE_EQ(p.epoch_progress(s + 1), progress);
            EXPECT_EQ(p.ends_epoch(s), (s + 1) % plan.steps_per_epoch == 0);
          }
        }
}

TEST(DistReshard, EverySequenceOnceAcrossAChangedBatching) {
  const Batching cases[][2] = {
      {{2, 2, 1}, {2, 1, 1}},  // world 2 → 1
      {{2, 1, 1}, {2, 2, 1}},  // world 1 → 2
      {{3, 1, 1}, {2, 2, 1}},  // 3 per step → 4: the resume point is not a multiple of the new batch
      {{1, 4, 2}, {2, 3, 1}},  // 4 ranks with accumulation → 3 ranks without
      {{2, 2, 3}, {1, 1, 1}},
  };
  std::vector<size_t> lengths;
  for (size_t i = 0; i < 23; ++i) lengths.push_back(1 + (i * 7) % 11);
  const int64_t n = int64_t(lengths.size());
  for (const bool grouped : {false, true})
    for (const auto& [before, after] : cases) {
      if (grouped && (before.per_device != after.per_device || before.accumulation != after.accumulation))
        continue;  // length grouping orders by per-device batch × accumulation: only the world may change
      for (const double epochs : {1.0, 2.0, 1.5}) {
        const StepPositions first(n, before.micro_batch(), before.accumulation);
        const int64_t first_total = first.total_steps_for_epochs(epochs);
        for (int64_t stop = 1; stop < first_total; ++stop) {
          SCOPED_TRACE(testing::Message() << "grouped " << grouped << " world " << before.world << " -> "
                                          << after.world << " epochs " << epochs << " checkpoint at " << stop);
          std::map<std::pair<int64_t, size_t>, int> seen;
          consume(first, before, lengths, grouped, 0, stop, seen);
          const StepPositions resumed(n, after.micro_batch(), after.accumulation, stop, first.before(stop));
          const int64_t total = resumed.total_steps_for_epochs(epochs);
          consume(resumed, after, lengths, grouped, stop, total, seen);
          for (int64_t e = 0; e < int64_t(epochs); ++e)
            for (size_t i = 0; i < lengths.size(); ++i) ASSERT_EQ((seen[{e, i}]), 1) << "epoch " << e << " seq " << i;
          for (const auto& [key, count] : seen) ASSERT_EQ(count, 1) << "epoch " << key.first << " seq " << key.second;
          // It stops where a fresh run with the new batching stops: its last step crosses that point.
          const StepPositions fresh(n, after.micro_batch(), after.accumulation);
          const DataPosition end = fresh.before(fresh.total_steps_for_epochs(epochs));
          EXPECT_TRUE(earlier(resumed.before(total - 1), end));
          EXPECT_FALSE(earlier(resumed.before(total), end));
        }
      }
    }
}

TEST(DistReshard, AnAnchorAtTheEpochEndStartsTheNextEpoch) {
  const StepPositions p(10, 4, 1, 7, {2, 10});
  EXPECT_EQ(p.before(7), (DataPosition{3, 0}));
  EXPECT_EQ(p.before(9), (DataPosition{3, 8}));
  EXPECT_EQ(p.before(10), (DataPosition{4, 0}));
  EXPECT_EQ(p.before(3), (DataPosition{3, 0}));  // before the anchor: the anchor
  EXPECT_EQ(p.total_steps_for_epochs(3.0), 7);    // already done
  EXPECT_EQ(p.total_steps_for_epochs(4.0), 10);
}

TEST(DistReshard, RejectsAnAnchorOutsideItsEpoch) {
  EXPECT_THROW(StepPositions(10, 4, 1, 3, {0, 11}), std::invalid_argument);
  EXPECT_THROW(StepPositions(10, 4, 1, 3, {0, -1}), std::invalid_argument);
  EXPECT_THROW(StepPositions(10, 0, 1), std::invalid_argument);
}

}  // namespace
}  // namespace ft
