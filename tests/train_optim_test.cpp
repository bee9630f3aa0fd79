#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.h"
#include "kernels/cross_entropy.h"
#include "model_test_support.h"
#include "train/adamw.h"
#include "train/full_finetune.h"
#include "train/grad_clip.h"
#include "train/lr_schedule.h"
#include "train/train_step.h"

namespace ft {
namespace {

TEST(TrainAdamW, FirstStepMovesByLrTimesSign) {
  std::vector<float> p = {1.0f, -2.0f, 0.5f}, g = {0.3f, -4.0f, 1e-3f}, m(3, 0), v(3, 0);
  adamw_update(p.data(), g.data(), m.data(), v.data(), 3, 1, 0.01, {});
  // m̂ = g, v̂ = g², so the step is lr·g/(|g| + eps).
  EXPECT_NEAR(p[0], 1.0f - 0.01f, 1e-6f);
  EXPECT_NEAR(p[1], -2.0f + 0.01f, 1e-6f);
  EXPECT_NEAR(p[2], 0.5f - 0.01f * 1e-3f / (1e-3f + 1e-8f), 1e-6f);
  EXPECT_NEAR(m[1], 0.1f * -4.0f, 1e-7f);
  EXPECT_NEAR(v[1], 0.001f * 16.0f, 1e-7f);
}

TEST(TrainAdamW, MatchesTheFormulaOverSeveralStepsWithDecay) {
  const AdamWOptions o{.beta1 = 0.8, .beta2 = 0.95, .eps = 1e-6, .weight_decay = 0.1};
  std::vector<float> p = {0.7f}, g(1), m(1, 0), v(1, 0);
  double P = 0.7, M = 0, V = 0;
  const double grads[] = {0.5, -0.25, 0.125, 2.0};
  for (int t = 1; t <= 4; ++t) {
    const double G = grads[t - 1], lr = 0.05 * t;
    g[0] = static_cast<float>(G);
    adamw_update(p.data(), g.data(), m.data(), v.data(), 1, t, lr, o);
    P *= 1 - lr * o.weight_decay;
    M = o.beta1 * M + (1 - o.beta1) * G;
    V = o.beta2 * V + (1 - o.beta2) * G * G;
    P -= lr / (1 - std::pow(o.beta1, t)) * M / (std::sqrt(V / (1 - std::pow(o.beta2, t))) + o.eps);
    EXPECT_NEAR(p[0], P, 1e-6) << "step " << t;
  }
}

TEST(TrainAdamW, ClassKeepsStateAndSkipsDecayWhereAsked) {
  std::vector<float> a = {1.0f, 1.0f}, b = {1.0f}, ga = {0, 0}, gb = {0};
  AdamW opt({{a.data(), ga.data(), 2, true}, {b.data(), gb.data(), 1, false}},
            {.weight_decay = 0.5});
  opt.step(0.1);
  EXPECT_EQ(opt.steps(), 1);
  EXPECT_FLOAT_EQ(a[0], 0.95f);  // zero gradient: only decay moves it
  EXPECT_FLOAT_EQ(b[0], 1.0f);
  ga[1] = 1.0f;
  opt.step(0.1);
  EXPECT_GT(opt.second_moment()[1], 0.0f);
  EXPECT_EQ(opt.second_moment()[0], 0.0f);
  EXPECT_LT(a[1], a[0]);
}

TEST(TrainLrSchedule, LinearWithWarmupFollowsTransformers) {
  const LrSchedule s(LrScheduleKind::kLinear, 1.0, 2, 10);
  const double expected[] = {0.0, 0.5, 1.0, 7.0 / 8, 6.0 / 8, 5.0 / 8};
  for (int i = 0; i < 6; ++i) EXPECT_DOUBLE_EQ(s.factor(i), expected[i]) << i;
  EXPECT_DOUBLE_EQ(s.factor(10), 0.0);
  EXPECT_DOUBLE_EQ(s.factor(12), 0.0);
}

TEST(TrainLrSchedule, CosineConstantAndWarmupRatio) {
  const LrSchedule cosine(LrScheduleKind::kCosine, 2.0, 0, 10);
  EXPECT_DOUBLE_EQ(cosine.lr(0), 2.0);
  EXPECT_NEAR(cosine.lr(5), 1.0, 1e-12);
  EXPECT_NEAR(cosine.lr(10), 0.0, 1e-12);
  const LrSchedule warm(LrScheduleKind::kConstantWithWarmup, 1.0, 4, 10);
  EXPECT_DOUBLE_EQ(warm.factor(1), 0.25);
  EXPECT_DOUBLE_EQ(warm.factor(7), 1.0);
  EXPECT_DOUBLE_EQ(LrSchedule(LrScheduleKind::kConstant, 1.0, 4, 10).factor(0), 1.0);
  EXPECT_EQ(warmup_steps_for(0, 0.1, 15), 2);  // ceil(1.5)
  EXPECT_EQ(warmup_steps_for(3, 0.5, 15), 3);  // explicit steps win
  EXPECT_EQ(parse_lr_schedule("cosine"), LrScheduleKind::kCosine);
  try {
    parse_lr_schedule("cosin");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitUsage);
    EXPECT_NE(std::string(e.what()).find("constant_with_warmup"), std::string::npos);
  }
}

TEST(TrainGradClip, ScalesByGlobalNormOnlyAboveTheLimit) {
  std::vector<float> a = {3.0f}, b = {0.0f, 4.0f};
  std::vector<std::span<float>> grads = {a, b};
  EXPECT_NEAR(clip_grad_norm(grads, 10.0), 5.0, 1e-12);
  EXPECT_EQ(a[0], 3.0f);
  EXPECT_NEAR(clip_grad_norm(grads, 1.0), 5.0, 1e-12);
  EXPECT_NEAR(a[0], 3.0 / (5.0 + 1e-6), 1e-7);
  EXPECT_NEAR(b[1], 4.0 / (5.0 + 1e-6), 1e-7);
  EXPECT_NEAR(clip_grad_norm(grads, 0.0), 1.0, 1e-5);  // 0 disables clipping, still reports
}

// With no counted token the gradient is zero, so one AdamW step only applies weight decay:
// matrices shrink by 1 − lr·wd while norm weights (and biases) stay, as the Trainer exempts them.
TEST(TrainFullFinetune, WeightDecaySparesNormWeights) {
  Model model = test::synthetic_model(DType::F32);
  FullFinetune full(model);
  const std::vector<float> before(full.values().begin(), full.values().end());
  StepOptions options;
  options.schedule = LrScheduleKind::kConstant;
  options.learning_rate = 0.1;
  options.adamw.weight_decay = 0.5;
  options.no_decay = full.vector_ranges();
  ASSERT_FALSE(options.no_decay.empty());
  StepRunner runner(model, full.values(), full.grads(), options);
  const std::vector<int> ids = {3, 4, 5, 6}, labels(4, kIgnoreIndex);
  MicroBatch mb;
  mb.ids = ids;
  mb.labels = labels;
  mb.B = 1;
  mb.T = 4;
  runner.step(std::span(&mb, 1));

  const ModelConfig& c = model.config();
  for (const WeightSpec& spec : weight_specs(c)) {
    const auto offset = static_cast<const float*>(weight_pointer(model.weights(), c, spec)) -
                        full.values().data();
    const float factor = spec.is_vector ? 1.0f : 1.0f - 0.1f * 0.5f;
    for (int64_t i = 0; i < 3; ++i)
      EXPECT_FLOAT_EQ(full.values()[offset + i], before[offset + i] * factor) << spec.name;
  }
}

// A NaN loss used to reach AdamW and turn every value and moment into NaN for good.
TEST(TrainStep, ANonFiniteStepAppliesNoUpdateButCounts) {
  Model model = test::synthetic_model(DType::F32);
  FullFinetune full(model);
  const ModelConfig& c = model.config();
  const std::vector<WeightSpec> specs = weight_specs(c);
  const WeightSpec norm = *std::find_if(specs.begin(), specs.end(),
                                        [](const WeightSpec& w) { return w.name == "model.norm.weight"; });
  float* poisoned = const_cast<float*>(static_cast<const float*>(weight_pointer(model.weights(), c, norm)));
  const float kept = *poisoned;
  *poisoned = std::nanf("");
  std::vector<float> before(full.values().begin(), full.values().end());
  StepOptions options;
  options.schedule = LrScheduleKind::kConstant;
  options.learning_rate = 0.01;
  StepRunner runner(model, full.values(), full.grads(), options);
  const std::vector<int> ids = {3, 4, 5, 6}, labels = {3, 4, 5, 6};
  MicroBatch mb;
  mb.ids = ids;
  mb.labels = labels;
  mb.B = 1;
  mb.T = 4;
  StepRecord rec = runner.step(std::span(&mb, 1));
  EXPECT_TRUE(rec.skipped);
  EXPECT_TRUE(std::isnan(rec.loss));
  EXPECT_EQ(runner.optimizer().steps(), 1);
  for (size_t i = 0; i < before.size(); ++i) {
    if (std::isnan(before[i])) continue;
    ASSERT_EQ(full.values()[i], before[i]) << i;
  }
  for (const float m : runner.optimizer().first_moment()) ASSERT_EQ(m, 0.0f);

  *poisoned = kept;  // a passing spike: the next step trains from untouched state
  before.assign(full.values().begin(), full.values().end());
  rec = runner.step(std::span(&mb, 1));
  EXPECT_FALSE(rec.skipped);
  EXPECT_TRUE(std::isfinite(rec.loss));
  EXPECT_EQ(runner.optimizer().steps(), 2);
  size_t moved = 0;
  for (size_t i = 0; i < before.size(); ++i) {
    ASSERT_TRUE(std::isfinite(full.values()[i])) << i;
    moved += full.values()[i] != before[i];
  }
  EXPECT_GT(moved, before.size() / 2);
}

TEST(TrainFullFinetune, NoDecayRangesMustBeSortedAndInside) {
  Model model = test::synthetic_model(DType::F32);
  FullFinetune full(model);
  StepOptions options;
  options.no_decay = {{10, 5}, {2, 3}};
  EXPECT_THROW(StepRunner(model, full.values(), full.grads(), options), std::invalid_argument);
  options.no_decay = {{0, int64_t(full.values().size()) + 1}};
  EXPECT_THROW(StepRunner(model, full.values(), full.grads(), options), std::invalid_argument);
}

}  // namespace
}  // namespace ft
