// Bucketed gradient all-reduce: the buckets cover the gradients exactly once, from the end
// backwards, and each is launched as soon as the backward pass has finished every value in it and
// not before; the model's backward progress reports really are final gradients (LoRA and full).
#include <gtest/gtest.h>

#include <stdexcept>
#include <utility>
#include <vector>

#include "core/rng.h"
#include "kernels/cross_entropy.h"
#include "model/lora.h"
#include "model_test_support.h"
#include "train/full_finetune.h"
#include "train/gradient_buckets.h"

namespace ft {
namespace {

using Range = std::pair<long, long>;

struct Recorder {
  std::vector<float> grads = std::vector<float>(10);
  std::vector<Range> launched;
  GradientBuckets make(int64_t cap, std::vector<int64_t> layer_offsets) {
    return GradientBuckets(grads, cap, std::move(layer_offsets), [this](std::span<float> b) {
      launched.emplace_back(b.data() - grads.data(), b.data() - grads.data() + static_cast<long>(b.size()));
    });
  }
};

TEST(GradientBuckets, CoverTheGradientsOnceFromTheEndBackwards) {
  Recorder r;
  GradientBuckets buckets = r.make(4, {});
  EXPECT_EQ(buckets.count(), 3u);
  buckets.start_step();
  buckets.layer_finished(1);  // no layer offsets: nothing is known to be final before finish()
  EXPECT_TRUE(r.launched.empty());
  buckets.finish();
  EXPECT_EQ(r.launched, (std::vector<Range>{{6, 10}, {2, 6}, {0, 2}}));
}

TEST(GradientBuckets, LaunchEachBucketOnceItsLayersAreDone) {
  Recorder r;
  // Layers begin at 0, 3 and 7; the tensors after the last layer at 9.
  GradientBuckets buckets = r.make(4, {0, 3, 7, 9});
  buckets.start_step();
  buckets.layer_finished(3);  // the head: [9, 10) final, bucket [6, 10) is not
  EXPECT_TRUE(r.launched.empty());
  buckets.layer_finished(2);  // [7, 10): still not [6, 10)
  EXPECT_TRUE(r.launched.empty());
  buckets.layer_finished(1);  // [3, 10)
  EXPECT_EQ(r.launched, (std::vector<Range>{{6, 10}}));
  buckets.layer_finished(0);  // [0, 10)
  EXPECT_EQ(r.launched, (std::vector<Range>{{6, 10}, {2, 6}, {0, 2}}));
  buckets.layer_finished(-1);
  buckets.finish();
  EXPECT_EQ(r.launched.size(), 3u) << "a bucket was launched twice in one step";

  r.launched.clear();
  buckets.start_step();  // the next step launches everything again, in the same order
  buckets.layer_finished(-1);
  EXPECT_EQ(r.launched, (std::vector<Range>{{6, 10}, {2, 6}, {0, 2}}));
}

TEST(GradientBuckets, RejectOffsetsOutsideTheGradientsOrOutOfOrder) {
  Recorder r;
  EXPECT_THROW(r.make(0, {}), std::invalid_argument);
  EXPECT_THROW(r.make(4, {0, 7, 3}), std::invalid_argument);
  EXPECT_THROW(r.make(4, {0, 11}), std::invalid_argument);
  EXPECT_THROW(r.make(4, {-1, 3}), std::invalid_argument);
}

std::vector<int> random_ids(int64_t n, int vocab, uint64_t seed) {
  const Rng rng(seed, RngStream::kTest);
  std::vector<int> ids;
  for (int64_t i = 0; i < n; ++i) ids.push_back(static_cast<int>(rng.below(static_cast<uint32_t>(vocab), i)));
  return ids;
}

// Runs one forward_backward and checks every progress report: layers come L, L−1, …, 0, −1, and
// the gradients from layer_offsets[l] on are already what they are at the end, while the layer
// below has not been touched yet (so the report comes before its backward pass, not after all).
void expect_progress_reports_final_gradients(Model& model, std::span<float> grads,
                                             const std::vector<int64_t>& layer_offsets) {
  const int L = model.config().num_hidden_layers;
  ASSERT_EQ(layer_offsets.size(), static_cast<size_t>(L + 1));
  std::fill(grads.begin(), grads.end(), 0.0f);
  std::vector<int> reported;
  std::vector<std::vector<float>> snapshots;
  model.set_backward_progress([&](int l) {
    reported.push_back(l);
    const int64_t from = l < 0 ? 0 : layer_offsets[static_cast<size_t>(l)];
    snapshots.emplace_back(grads.begin() + from, grads.end());
    if (l > 0) {
      const int64_t below = layer_offsets[static_cast<size_t>(l - 1)];
      for (int64_t i = below; i < from; ++i) ASSERT_EQ(grads[static_cast<size_t>(i)], 0.0f) << "layer " << l;
    }
  });
  const int64_t B = 2, T = 6;
  std::vector<int> ids = random_ids(B * T, model.config().vocab_size, 4);
  std::vector<int> targets = random_ids(B * T, model.config().vocab_size, 5);
  targets[3] = kIgnoreIndex;
  model.forward_backward(ids, targets, B, T, 0.1f);
  model.set_backward_progress({});
  std::vector<int> expected;
  for (int l = L; l >= -1; --l) expected.push_back(l);
  ASSERT_EQ(reported, expected);
  for (size_t k = 0; k < snapshots.size(); ++k) {
    const std::vector<float>& s = snapshots[k];
    const size_t from = grads.size() - s.size();
    for (size_t i = 0; i < s.size(); ++i)
      ASSERT_EQ(s[i], grads[from + i]) << "reported final at layer " << reported[k] << " but changed later, index " << from + i;
  }
  float largest = 0;
  for (float g : grads) largest = std::max(largest, std::abs(g));
  EXPECT_GT(largest, 0.0f);
}

TEST(GradientBuckets, LoraProgressReportsAreFinalGradients) {
  Model model = test::synthetic_model(DType::F32);
  // Layer 1 adapts only v_proj: offsets follow the targeted modules, not a fixed stride.
  LoraWeights lora(model.config(), {.rank = 2, .alpha = 4.0, .targets = parse_lora_targets("q_proj,v_proj,down_proj")});
  lora.init(3);
  auto values = lora.values();
  for (size_t i = 0; i < values.size(); ++i) values[i] += 0.01f * static_cast<float>(i % 7);
  model.attach_lora(&lora);
  expect_progress_reports_final_gradients(model, lora.grads(), lora.layer_offsets());
}

TEST(GradientBuckets, FullFinetuneProgressReportsAreFinalGradients) {
  Model model = test::synthetic_model(DType::F32);
  FullFinetune full(model);
  expect_progress_reports_final_gradients(model, full.grads(), full.layer_offsets());
}

}  // namespace
}  // namespace ft
