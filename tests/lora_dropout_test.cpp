// LoRA dropout (PEFT semantics: inverted dropout on the LoRA branch's input, training only): masks
// are pure functions of (seed, key, layer, module, element) with the expected keep rate, p = 0 is
// the plain path bit for bit, a keep-everything mask reproduces it, gradients match finite
// differences at a fixed key, eval ignores dropout, and checkpointing replays the same masks.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "core/rng.h"
#include "kernels/cross_entropy.h"
#include "model/lora.h"
#include "model/lora_dropout.h"
#include "model_test_support.h"

namespace ft {
namespace {

std::unique_ptr<LoraWeights> make_lora(const Model& model, double p,
                                       const char* targets = "all-linear") {
  auto lora = std::make_unique<LoraWeights>(
      model.config(), LoraConfig{.rank = 2, .alpha = 4.0, .dropout = p,
                                 .targets = parse_lora_targets(targets)});
  const Rng rng(3, RngStream::kTest);
  auto v = lora->values();
  for (size_t i = 0; i < v.size(); ++i) v[i] = 0.3f * (2.0f * rng.uniform(i) - 1.0f);
  return lora;
}

struct Batch {
  std::vector<int> ids, targets;
  int64_t B = 2, T = 6;
};

Batch random_batch() {
  const Rng rng(11, RngStream::kTest);
  Batch b;
  for (int64_t i = 0; i < b.B * b.T; ++i) {
    b.ids.push_back(static_cast<int>(rng.below(97, 2 * uint64_t(i))));
    b.targets.push_back(static_cast<int>(rng.below(97, 2 * uint64_t(i) + 1)));
  }
  b.targets[3] = kIgnoreIndex;
  return b;
}

struct Step {
  double loss_sum = 0;
  std::vector<float> grads;
};

Step train_step(Model& model, LoraWeights& lora, const Batch& b, uint64_t key) {
  lora.zero_grads();
  model.set_dropout_key(42, key);
  const auto sum = model.forward_backward(b.ids, b.targets, b.B, b.T, 0.1f);
  return {sum.sum, std::vector<float>(lora.grads().begin(), lora.grads().end())};
}

TEST(LoraDropout, MasksKeepOneMinusPAndDependOnEveryInput) {
  const int64_t n = 1 << 18;
  std::vector<uint8_t> a(n), b(n);
  for (const double p : {0.1, 0.3, 0.5}) {
    const LoraDropout d{p, 7, 5};
    d.mask(a.data(), n, 1, LoraTarget::kV);
    double kept = 0;
    for (uint8_t k : a) kept += k;
    // Binomial: 4 standard deviations of the kept fraction.
    EXPECT_NEAR(kept / n, 1.0 - p, 4.0 * std::sqrt(p * (1 - p) / n)) << p;
  }
  const LoraDropout d{0.3, 7, 5};
  d.mask(a.data(), n, 1, LoraTarget::kV);
  d.mask(b.data(), n, 1, LoraTarget::kV);
  EXPECT_EQ(a, b);
  auto differs = [&](const LoraDropout& other, int layer, LoraTarget t) {
    other.mask(b.data(), n, layer, t);
    int64_t same = 0;
    for (int64_t i = 0; i < n; ++i) same += a[i] == b[i];
    return same < n * 0.7;  // independent masks agree on 0.7² + 0.3² = 58% of elements
  };
  EXPECT_TRUE(differs({0.3, 8, 5}, 1, LoraTarget::kV));  // seed
  EXPECT_TRUE(differs({0.3, 7, 6}, 1, LoraTarget::kV));  // key
  EXPECT_TRUE(differs(d, 0, LoraTarget::kV));            // layer
  EXPECT_TRUE(differs(d, 1, LoraTarget::kK));            // module
  // A prefix of a longer mask is the shorter mask: element i's draw depends on i alone.
  d.mask(b.data(), 1000, 1, LoraTarget::kV);
  EXPECT_TRUE(std::equal(a.begin(), a.begin() + 1000, b.begin()));
}

TEST(LoraDropout, ZeroProbabilityIsThePlainPathAndKeepingAllMatchesIt) {
  Model model = test::synthetic_model(DType::F32);
  const Batch b = random_batch();
  auto plain = make_lora(model, 0.0);
  model.attach_lora(plain.get());
  plain->zero_grads();
  const auto sum = model.forward_backward(b.ids, b.targets, b.B, b.T, 0.1f);
  const std::vector<float> want(plain->grads().begin(), plain->grads().end());
  for (uint64_t key : {1, 2}) {
    const Step got = train_step(model, *plain, b, key);
    EXPECT_EQ(got.loss_sum, sum.sum);
    EXPECT_EQ(got.grads, want);
  }
  // p below 2^-17 drops nothing and scales by 1.0f: the dropout path must reproduce the plain one.
  auto tiny = make_lora(model, 1e-9);
  model.attach_lora(tiny.get());
  const Step got = train_step(model, *tiny, b, 1);
  EXPECT_NEAR(got.loss_sum, sum.sum, 1e-6 * std::abs(sum.sum));
  for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(got.grads[i], want[i], 1e-6) << i;
}

TEST(LoraDropout, SameKeySameStepOtherKeyOtherStep) {
  Model model = test::synthetic_model(DType::F32);
  const Batch b = random_batch();
  auto lora = make_lora(model, 0.3);
  model.attach_lora(lora.get());
  const Step first = train_step(model, *lora, b, 9);
  const Step again = train_step(model, *lora, b, 9);
  const Step other = train_step(model, *lora, b, 10);
  EXPECT_EQ(first.loss_sum, again.loss_sum);
  EXPECT_EQ(first.grads, again.grads);
  EXPECT_GT(std::abs(first.loss_sum - other.loss_sum), 1e-4 * std::abs(first.loss_sum));
  EXPECT_NE(first.grads, other.grads);
}

TEST(LoraDropout, EvalIgnoresDropout) {
  Model model = test::synthetic_model(DType::F32);
  const Batch b = random_batch();
  auto plain = make_lora(model, 0.0), dropped = make_lora(model, 0.3);
  std::vector<float> want(b.ids.size()), got(b.ids.size());
  model.attach_lora(plain.get());
  const float mean = model.forward_loss(b.ids, b.targets, b.B, b.T, want);
  model.attach_lora(dropped.get());
  train_step(model, *dropped, b, 4);  // a training step first must leave no dropout behind
  EXPECT_EQ(model.forward_loss(b.ids, b.targets, b.B, b.T, got), mean);
  EXPECT_EQ(got, want);
}

TEST(LoraDropout, CheckpointingReplaysTheSameMasks) {
  Model model = test::synthetic_model(DType::F32);
  const Batch b = random_batch();
  auto lora = make_lora(model, 0.3);
  model.attach_lora(lora.get());
  const Step plain = train_step(model, *lora, b, 21);
  model.set_gradient_checkpointing(true);
  const Step ckpt = train_step(model, *lora, b, 21);
  EXPECT_EQ(plain.loss_sum, ckpt.loss_sum);
  EXPECT_EQ(plain.grads, ckpt.grads);
}

TEST(LoraDropout, GradientsMatchFiniteDifferencesAtAFixedKey) {
  Model model = test::synthetic_model(DType::F32);
  const Batch b = random_batch();
  // Layer 1's dropped input gradients reach layer 0's adapters; fewer modules keep this fast.
  auto lora = make_lora(model, 0.3, "k_proj,o_proj,up_proj");
  model.attach_lora(lora.get());
  const Step base = train_step(model, *lora, b, 77);
  double max_grad = 0;
  for (float g : base.grads) max_grad = std::max(max_grad, std::abs(double{g}));
  ASSERT_GT(max_grad, 0.0);
  auto values = lora->values();
  for (const LoraTensor& t : lora->tensors()) {
    const int64_t n = t.shape[0] * t.shape[1];
    float* p = t.value + n / 2;  // one entry per tensor keeps this fast under ASan
    const float keep = *p, h = 1e-2f;
    *p = keep + h;
    const double up = train_step(model, *lora, b, 77).loss_sum * 0.1;
    *p = keep - h;
    const double down = train_step(model, *lora, b, 77).loss_sum * 0.1;
    *p = keep;
    const size_t at = static_cast<size_t>(p - values.data());
    EXPECT_NEAR(base.grads[at], (up - down) / (2.0 * h), 2e-3 * max_grad + 2e-5) << t.name;
  }
}

}  // namespace
}  // namespace ft
