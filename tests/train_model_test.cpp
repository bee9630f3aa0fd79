// The model's training step: LoRA gradients against finite differences of the loss, gradient
// checkpointing against the plain backward, steps against the transformers + peft reference in
// tests/fixtures/training (tools/gen_training_reference.py), and a tiny model overfitting.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/rng.h"
#include "formats/safetensors.h"
#include "kernels/cross_entropy.h"
#include "model/lora.h"
#include "model_test_support.h"
#include "test_support.h"
#include "train/full_finetune.h"
#include "train/train_step.h"

namespace ft {
namespace {

void randomise(LoraWeights& lora, uint64_t seed, float scale) {
  const Rng rng(seed, RngStream::kTest);
  auto v = lora.values();
  for (size_t i = 0; i < v.size(); ++i) v[i] = scale * (2.0f * rng.uniform(i) - 1.0f);
}

struct Batch {
  std::vector<int> ids, targets;
  int64_t B, T;
};

Batch random_batch(int64_t B, int64_t T, int vocab, uint64_t seed) {
  const Rng rng(seed, RngStream::kTest);
  Batch b{{}, {}, B, T};
  for (int64_t i = 0; i < B * T; ++i) {
    b.ids.push_back(static_cast<int>(rng.below(static_cast<uint32_t>(vocab), 2 * i)));
    b.targets.push_back(static_cast<int>(rng.below(static_cast<uint32_t>(vocab), 2 * i + 1)));
  }
  b.targets[1] = kIgnoreIndex;
  b.targets[B * T - 1] = kIgnoreIndex;
  return b;
}

int64_t counted(const std::vector<int>& targets) {
  int64_t n = 0;
  for (int t : targets) n += t != kIgnoreIndex;
  return n;
}

// Masked prompts: the first `prompt` targets of every sequence ignored, so the LM head runs on
// runs of rows that skip the ignored ones.
Batch mask_prompts(Batch b, int64_t prompt) {
  for (int64_t s = 0; s < b.B; ++s)
    for (int64_t t = 0; t < prompt; ++t) b.targets[static_cast<size_t>(s * b.T + t)] = kIgnoreIndex;
  return b;
}

class LoraGradients : public ::testing::TestWithParam<int64_t> {};

TEST_P(LoraGradients, MatchFiniteDifferences) {
  Model model = test::synthetic_model(DType::F32);
  LoraWeights lora(model.config(), {.rank = 2, .alpha = 4.0, .targets = parse_lora_targets("all-linear")});
  randomise(lora, 3, 0.3f);
  model.attach_lora(&lora);
  const Batch b = mask_prompts(random_batch(2, 5, model.config().vocab_size, 11), GetParam());
  const float scale = 1.0f / static_cast<float>(counted(b.targets));
  const auto result = model.forward_backward(b.ids, b.targets, b.B, b.T, scale);
  std::vector<float> losses(static_cast<size_t>(b.B * b.T));
  const float loss = model.forward_loss(b.ids, b.targets, b.B, b.T, losses);
  EXPECT_NEAR(result.sum * scale, loss, 1e-5);

  const std::vector<float> grads(lora.grads().begin(), lora.grads().end());
  double max_grad = 0;
  for (float g : grads) max_grad = std::max(max_grad, std::abs(double{g}));
  ASSERT_GT(max_grad, 0.0);
  auto values = lora.values();
  for (const LoraTensor& t : lora.tensors()) {
    const int64_t n = t.shape[0] * t.shape[1];
    for (int64_t i = n / 2; i < n; i += n) {  // one entry per tensor keeps this fast under ASan
      float* p = t.value + i;
      const float keep = *p, h = 1e-2f;
      *p = keep + h;
      const double up = model.forward_loss(b.ids, b.targets, b.B, b.T, losses);
      *p = keep - h;
      const double down = model.forward_loss(b.ids, b.targets, b.B, b.T, losses);
      *p = keep;
      const double fd = (up - down) / (2.0 * h);
      const size_t at = static_cast<size_t>(p - values.data());
      EXPECT_NEAR(grads[at], fd, 2e-3 * max_grad + 2e-5) << t.name << "[" << i << "]";
    }
  }
}

// 0: only two scattered ignored rows; 3: three of every five rows are a masked prompt.
INSTANTIATE_TEST_SUITE_P(TrainModel, LoraGradients, ::testing::Values(0, 3));

TEST(TrainModel, ForwardLossRunsTheHeadOnCountedRowsOnly) {
  Model model = test::synthetic_model(DType::F32);
  const int V = model.config().vocab_size;
  const Batch b = mask_prompts(random_batch(3, 5, V, 15), 2);
  std::vector<float> losses(b.targets.size(), -1.0f);
  const float mean = model.forward_loss(b.ids, b.targets, b.B, b.T, losses);
  const auto logits = model.forward(b.ids, b.B, b.T);
  std::vector<float> want(b.targets.size());
  cross_entropy_forward(want.data(), nullptr, logits.data(), b.targets.data(), b.B * b.T, V);
  double sum = 0;
  for (size_t r = 0; r < want.size(); ++r) {
    EXPECT_NEAR(losses[r], want[r], 1e-5 * std::abs(want[r])) << r;
    if (b.targets[r] == kIgnoreIndex) {
      EXPECT_EQ(losses[r], 0.0f) << r;
    }
    sum += want[r];
  }
  EXPECT_NEAR(mean, sum / double(counted(b.targets)), 1e-5);
}

TEST(TrainModel, CheckpointingGivesTheSameGradients) {
  Model model = test::synthetic_model(DType::F32);
  LoraWeights lora(model.config(), {.rank = 4, .alpha = 8.0, .targets = parse_lora_targets("q_proj,v_proj,down_proj")});
  randomise(lora, 5, 0.2f);
  model.attach_lora(&lora);
  const Batch b = random_batch(2, 7, model.config().vocab_size, 12);
  const auto plain = model.forward_backward(b.ids, b.targets, b.B, b.T, 0.1f);
  const std::vector<float> expected(lora.grads().begin(), lora.grads().end());
  lora.zero_grads();
  model.set_gradient_checkpointing(true);
  const auto ckpt = model.forward_backward(b.ids, b.targets, b.B, b.T, 0.1f);
  EXPECT_EQ(plain.counted, ckpt.counted);
  EXPECT_NEAR(plain.sum, ckpt.sum, 1e-9 * std::abs(plain.sum));
  const auto got = lora.grads();
  for (size_t i = 0; i < expected.size(); ++i) ASSERT_FLOAT_EQ(got[i], expected[i]) << i;
}

// The backward pass skips what no trained tensor needs (layer 0's frozen q/k/v input gradients in
// a q,v step; its attention backward when only the MLP is adapted). Full gradients attached as
// well make every stage run, and the LoRA gradients must not change by a bit.
TEST(TrainModel, PrunedBackwardGivesTheSameLoraGradients) {
  for (const DType dtype : {DType::F32, DType::BF16})
    for (const char* targets : {"q_proj,v_proj", "k_proj", "o_proj", "up_proj", "down_proj"})
      for (const double dropout : {0.0, 0.2}) {
        SCOPED_TRACE(std::string(targets) + (dtype == DType::BF16 ? " bf16" : " fp32") +
                     " dropout " + std::to_string(dropout));
        Model model = test::synthetic_model(dtype);
        LoraWeights lora(model.config(), {.rank = 2, .alpha = 4.0, .dropout = dropout,
                                          .targets = parse_lora_targets(targets)});
        randomise(lora, 9, 0.3f);
        model.attach_lora(&lora);
        const Batch b = random_batch(2, 6, model.config().vocab_size, 14);
        model.set_dropout_key(42, 3);
        model.forward_backward(b.ids, b.targets, b.B, b.T, 0.1f);
        const std::vector<float> pruned(lora.grads().begin(), lora.grads().end());
        lora.zero_grads();
        FullFinetune full(model);
        model.set_dropout_key(42, 3);
        model.forward_backward(b.ids, b.targets, b.B, b.T, 0.1f);
        const auto every_stage = lora.grads();
        double first_layer = 0;
        for (int t = 0; t < kLoraTargetCount; ++t) {
          const LoraModule& m = lora.module(0, static_cast<LoraTarget>(t));
          if (m.active()) first_layer += std::abs(double{m.dA[0]}) + std::abs(double{m.dB[0]});
        }
        EXPECT_GT(first_layer, 0.0);
        for (size_t i = 0; i < pruned.size(); ++i) ASSERT_EQ(every_stage[i], pruned[i]) << i;
      }
}

TEST(TrainModel, LoraGradientsAreProjectionsOfTheFullWeightGradient) {
  // With W' = W + s·B·A: ∂L/∂B = s·∂L/∂W'·Aᵀ and ∂L/∂A = s·Bᵀ·∂L/∂W'.
  Model model = test::synthetic_model(DType::F32);
  LoraWeights lora(model.config(), {.rank = 3, .alpha = 6.0, .targets = parse_lora_targets("k_proj,down_proj")});
  randomise(lora, 8, 0.3f);
  model.attach_lora(&lora);
  const Batch b = random_batch(2, 6, model.config().vocab_size, 13);
  model.forward_backward(b.ids, b.targets, b.B, b.T, 0.05f);
  model.attach_lora(nullptr);
  const float s = static_cast<float>(lora.config().scaling());
  struct Merged { const LoraModule* m; float* w; };
  std::vector<Merged> merged;
  for (int l = 0; l < model.config().num_hidden_layers; ++l)
    for (LoraTarget t : {LoraTarget::kK, LoraTarget::kDown}) {
      const LayerWeights& lw = model.weights().layers[static_cast<size_t>(l)];
      auto* w = static_cast<float*>(t == LoraTarget::kK ? lw.k : lw.down);
      const LoraModule& m = lora.module(l, t);
      for (int64_t o = 0; o < m.out; ++o)
        for (int64_t i = 0; i < m.in; ++i)
          for (int64_t j = 0; j < 3; ++j) w[o * m.in + i] += s * m.B[o * 3 + j] * m.A[j * m.in + i];
      merged.push_back({&m, w});
    }
  FullFinetune full(model);
  model.forward_backward(b.ids, b.targets, b.B, b.T, 0.05f);
  const auto* base = reinterpret_cast<const float*>(model.weights().storage.data());
  for (const Merged& mg : merged) {
    const LoraModule& m = *mg.m;
    const float* dW = full.grads().data() + (mg.w - base);
    double max_grad = 1e-6;
    for (int64_t i = 0; i < m.out * 3; ++i) max_grad = std::max(max_grad, std::abs(double{m.dB[i]}));
    for (int64_t i = 0; i < 3 * m.in; ++i) max_grad = std::max(max_grad, std::abs(double{m.dA[i]}));
    for (int64_t o = 0; o < m.out; ++o)
      for (int64_t j = 0; j < 3; ++j) {
        double want = 0;
        for (int64_t i = 0; i < m.in; ++i) want += s * double{dW[o * m.in + i]} * m.A[j * m.in + i];
        ASSERT_NEAR(m.dB[o * 3 + j], want, 1e-4 * max_grad);
      }
    for (int64_t j = 0; j < 3; ++j)
      for (int64_t i = 0; i < m.in; ++i) {
        double want = 0;
        for (int64_t o = 0; o < m.out; ++o) want += s * double{m.B[o * 3 + j]} * dW[o * m.in + i];
        ASSERT_NEAR(m.dA[j * m.in + i], want, 1e-4 * max_grad);
      }
  }
}

// --- the transformers + peft reference ------------------------------------------------------

LoraConfig lora_config(const nlohmann::json& lc) {
  const auto& modules = lc["target_modules"];
  return {.rank = lc["rank"], .alpha = lc["alpha"], .dropout = lc["dropout"],
          .use_rslora = lc["use_rslora"],
          .targets = modules.is_string()
                         ? parse_lora_targets(modules.get<std::string>())
                         : parse_lora_targets(modules.get<std::vector<std::string>>())};
}

// √(Σ (got − want)²) / √(Σ (want − start)²) over the tensors `final` holds.
double relative_distance(const WeightStore& final, const WeightStore* start,
                         const std::function<const float*(const std::string&)>& got) {
  double diff_sq = 0, moved_sq = 0;
  for (const std::string& name : final.names()) {
    const TensorView& view = final.require(name);
    const auto n = static_cast<size_t>(view.numel());
    std::vector<float> want(n), before(n);
    WeightStore::copy_to_f32(view, want.data());
    if (start) WeightStore::copy_to_f32(start->require(name), before.data());
    const float* ours = got(name);
    for (size_t i = 0; i < n; ++i) {
      diff_sq += std::pow(double{ours[i]} - want[i], 2);
      moved_sq += std::pow(double{want[i]} - before[i], 2);
    }
  }
  return std::sqrt(diff_sq / moved_sq);
}

void check_reference_case(const std::string& name, double loss_tol, double norm_tol,
                          double weight_tol) {
  const auto dir = test::fixtures_dir() / "training" / name;
  const auto ref = nlohmann::json::parse(test::read_file(dir / "reference.json"));
  const DType dtype = ref["precision"] == "bf16" ? DType::BF16 : DType::F32;
  const auto model_dir = test::fixtures_dir() / "tiny_models" / ref["model"].get<std::string>();
  Model model = Model::load(model_dir.string(), dtype);
  const StepOptions options{.schedule = parse_lr_schedule(ref["lr_scheduler_type"].get<std::string>()),
                            .learning_rate = ref["learning_rate"],
                            .warmup_steps = ref["warmup_steps"],
                            .total_steps = ref["steps"],
                            .max_grad_norm = ref["max_grad_norm"],
                            .adamw = {}};
  const bool full = ref["lora"].is_null();
  std::unique_ptr<LoraWeights> lora;
  std::unique_ptr<FullFinetune> full_state;
  std::unique_ptr<StepRunner> runner;
  if (full) {
    full_state = std::make_unique<FullFinetune>(model);
    runner = std::make_unique<StepRunner>(model, full_state->values(), full_state->grads(), options,
                                          [&] { full_state->sync_model(); });
  } else {
    lora = std::make_unique<LoraWeights>(model.config(), lora_config(ref["lora"]));
    const WeightStore initial = WeightStore::open_file((dir / "initial.safetensors").string());
    for (const LoraTensor& t : lora->tensors())
      WeightStore::copy_to_f32(initial.require(t.name, t.shape), t.value);
    model.attach_lora(lora.get());
    runner = std::make_unique<StepRunner>(model, lora->values(), lora->grads(), options);
  }
  for (size_t s = 0; s < ref["batches"].size(); ++s) {
    std::vector<std::vector<int>> ids, labels;
    std::vector<MicroBatch> micro;
    for (const auto& mb : ref["batches"][s]) {
      ids.emplace_back();
      labels.emplace_back();
      for (const auto& row : mb["ids"]) for (int x : row) ids.back().push_back(x);
      for (const auto& row : mb["labels"]) for (int x : row) labels.back().push_back(x);
    }
    for (size_t m = 0; m < ids.size(); ++m) {
      const auto T = static_cast<int64_t>(ref["batches"][s][m]["ids"][0].size());
      MicroBatch& mb = micro.emplace_back();
      mb.ids = ids[m];
      mb.labels = labels[m];
      mb.B = static_cast<int64_t>(ids[m].size()) / T;
      mb.T = T;
    }
    const StepRecord got = runner->step(micro);
    const auto& want = ref["records"][s];
    const double loss = want["loss"], norm = want["grad_norm"];
    EXPECT_NEAR(got.lr, want["lr"].get<double>(), 1e-12) << name << " step " << s;
    EXPECT_NEAR(got.loss, loss, loss_tol * loss) << name << " step " << s;
    EXPECT_NEAR(got.grad_norm, norm, norm_tol * norm) << name << " step " << s;
  }
  const WeightStore final = WeightStore::open_file((dir / "final.safetensors").string());
  double distance = 0;
  if (full) {
    // The tracked tensors, read back from the fp32 weights the optimizer updated.
    const WeightStore start = WeightStore::open_dir(model_dir.string());
    ModelWeights updated = allocate_weights(model.config(), DType::F32);
    const auto values = full_state->values();
    std::copy(values.begin(), values.end(), reinterpret_cast<float*>(updated.storage.data()));
    distance = relative_distance(final, &start, [&](const std::string& tensor) {
      for (const WeightSpec& spec : weight_specs(model.config()))
        if (spec.name == tensor) return static_cast<const float*>(weight_pointer(updated, model.config(), spec));
      ADD_FAILURE() << "no tensor " << tensor;
      return static_cast<const float*>(nullptr);
    });
  } else {
    const WeightStore initial = WeightStore::open_file((dir / "initial.safetensors").string());
    distance = relative_distance(final, &initial, [&](const std::string& tensor) {
      for (const LoraTensor& t : lora->tensors())
        if (t.name == tensor) return static_cast<const float*>(t.value);
      ADD_FAILURE() << "no tensor " << tensor;
      return static_cast<const float*>(nullptr);
    });
  }
  EXPECT_LE(distance, weight_tol) << name;
}

// Tolerances (relative: loss, grad norm, adapter distance / distance the reference moved).
// fp32 is the same arithmetic in another order. Losses and grad norms agree to ~1e-6; the adapter
// distance is set by AdamW, which moves an element by lr·g/(|g| + eps): where a gradient is as small
// as eps (1e-8), its last digits decide the step, and any reordering of fp32 sums changes them
// (all_rslora_accum: 4e-6 with one attention kernel, 2.4e-4 with the same kernel summing its dot
// products in order, 2.4e-4 with the tiled one). A wrong gradient moves elements by ~lr each,
// a distance of order 1, so 1e-3 still catches it. bf16 is compared with
// torch autocast, which rounds every Linear output (and the LoRA matmuls) to bf16 where this engine
// keeps fp32: losses agree to ~1e-3 and grad norms to ~1e-2, and because AdamW's first steps move
// every element by about ±lr whatever its gradient's size, elements with near-zero gradients can
// step either way: measured 15-20% on the adapter.
TEST(TrainReference, LoraQvFp32) { check_reference_case("lora_qv_fp32", 1e-5, 1e-4, 1e-3); }
TEST(TrainReference, LoraAllLinearRsloraAccumFp32) {
  check_reference_case("lora_all_rslora_accum_fp32", 1e-5, 1e-4, 1e-3);
}
TEST(TrainReference, LoraQvBf16) { check_reference_case("lora_qv_bf16", 2e-3, 2e-2, 0.3); }
TEST(TrainReference, LoraAllLinearRsloraAccumBf16) {
  check_reference_case("lora_all_rslora_accum_bf16", 2e-3, 2e-2, 0.3);
}
TEST(TrainReference, FullFp32) { check_reference_case("full_fp32", 1e-5, 1e-4, 1e-3); }
TEST(TrainReference, FullBf16) { check_reference_case("full_bf16", 2e-3, 2e-2, 0.3); }

TEST(TrainModel, TinyModelOverfitsTwoSequences) {
  Model model = test::synthetic_model(DType::F32);
  // LoRA cannot touch the frozen final norm and LM head, whose small random weights cap the logit
  // margin (and so the lowest reachable loss) near 1; a larger head lets memorisation show.
  const ModelConfig& c = model.config();
  auto* head = static_cast<float*>(model.weights().lm_head);
  for (int64_t i = 0; i < int64_t{c.vocab_size} * c.hidden_size; ++i) head[i] *= 10.0f;
  LoraWeights lora(model.config(), {.rank = 8, .alpha = 16.0, .targets = parse_lora_targets("all-linear")});
  lora.init(42);
  model.attach_lora(&lora);
  const int64_t B = 2, T = 8;
  const Rng rng(9, RngStream::kTest);
  std::vector<int> ids(B * T);
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = 3 + static_cast<int>(rng.below(90, i));
  std::vector<MicroBatch> micro(1);
  micro[0].ids = micro[0].labels = ids;
  micro[0].B = B;
  micro[0].T = T;
  StepRunner runner(model, lora.values(), lora.grads(),
                    {.schedule = LrScheduleKind::kConstant, .learning_rate = 1e-2,
                     .total_steps = 20, .adamw = {}});
  double first = 0, last = 0, lowest = 1e9;
  for (int s = 0; s < 20; ++s) {
    last = runner.step(micro).loss;
    if (s == 0) first = last;
    lowest = std::min(lowest, last);
  }
  EXPECT_GT(first, 3.0);
  EXPECT_LT(lowest, 0.01);
  EXPECT_LT(last, 0.1);
}

}  // namespace
}  // namespace ft
