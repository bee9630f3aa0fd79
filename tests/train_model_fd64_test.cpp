// Whole-model gradient check against a double-precision reference (tests/reference_llama64.h): on a
// small random Llama with packed documents, padding and −100 labels, (a) the reference loss equals
// the engine's fp32 Model::forward_loss, and (b) central finite differences of the fp64 loss with
// respect to sampled LoRA A/B entries, RMSNorm weights, embedding rows, the LM head and (full
// fine-tuning) every kind of projection weight match the gradients forward_backward computes.
//
// Tolerances: fp64 central differences with h = 1e-5 are exact to ~1e-10 here, so the bound is
// the engine's fp32 arithmetic: its gradients differ from the fp64 ones by at most 1.4e-6 of the
// largest sampled gradient (measured; fp32 sums of ≤ 97-term products through two layers and the
// softmaxes). Each sampled gradient must satisfy |g − fd| ≤ 2e-5·max|g| + 1e-4·|fd|, ~15× the
// error seen and 100× tighter than the fp32-only finite-difference check in train_model_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "core/rng.h"
#include "model/lora.h"
#include "model_test_support.h"
#include "reference_llama64.h"
#include "train/full_finetune.h"

namespace ft {
namespace {

// Two rows of 8 tokens: row 0 packs two documents (positions restart), row 1 is one document
// followed by padding (segment −1). Targets are −100 on padding, at each document's last token,
// and at one arbitrary token.
struct PackedBatch {
  int64_t B = 2, T = 8;
  std::vector<int> ids, targets;
  std::vector<int> positions{0, 1, 2, 3, 4, 0, 1, 2, /**/ 0, 1, 2, 3, 4, 5, 0, 0};
  std::vector<int> segments{0, 0, 0, 0, 0, 1, 1, 1, /**/ 0, 0, 0, 0, 0, 0, -1, -1};

  explicit PackedBatch(int vocab) {
    const Rng rng(21, RngStream::kTest);
    for (int64_t i = 0; i < B * T; ++i) {
      ids.push_back(static_cast<int>(rng.below(static_cast<uint32_t>(vocab), uint64_t(2 * i))));
      targets.push_back(static_cast<int>(rng.below(static_cast<uint32_t>(vocab), uint64_t(2 * i + 1))));
    }
    for (int64_t i : {4, 7, 2, 13, 14, 15}) targets[size_t(i)] = -100;
  }
  int64_t counted() const {
    int64_t n = 0;
    for (int t : targets) n += t != -100;
    return n;
  }
};

// A gradient entry to check: the reference parameter and index, and the engine's gradient.
struct Sample {
  std::string name;
  size_t index;
  float grad;
};

double fd_gradient(test::ReferenceLlama64& ref, const PackedBatch& b, const Sample& s) {
  double& p = ref.param(s.name)[s.index];
  const double keep = p, h = 1e-5;
  p = keep + h;
  const double up = ref.loss(b.ids, b.targets, b.positions, b.segments, b.B, b.T);
  p = keep - h;
  const double down = ref.loss(b.ids, b.targets, b.positions, b.segments, b.B, b.T);
  p = keep;
  return (up - down) / (2 * h);
}

void expect_gradients_match(test::ReferenceLlama64& ref, const PackedBatch& b,
                            const std::vector<Sample>& samples) {
  double max_grad = 0;
  for (const Sample& s : samples) max_grad = std::max(max_grad, std::abs(double{s.grad}));
  ASSERT_GT(max_grad, 1e-4);
  for (const Sample& s : samples) {
    const double fd = fd_gradient(ref, b, s);
    EXPECT_NEAR(s.grad, fd, 2e-5 * max_grad + 1e-4 * std::abs(fd)) << s.name << "[" << s.index << "]";
  }
}

// Entries spread over a tensor of n values: first, last and a few in between.
std::vector<size_t> spread(size_t n, size_t count) {
  std::vector<size_t> at;
  for (size_t i = 0; i < count; ++i) at.push_back(i * (n - 1) / (count - 1));
  return at;
}

// The engine's fp32 weight gradient entries of one model tensor (FullFinetune's layout = storage).
void add_weight_samples(std::vector<Sample>& samples, Model& model, std::span<const float> grads,
                        const WeightSpec& spec, const std::vector<size_t>& entries) {
  const auto* base = reinterpret_cast<const float*>(model.weights().storage.data());
  const auto* p = static_cast<const float*>(weight_pointer(model.weights(), model.config(), spec));
  for (size_t i : entries) samples.push_back({spec.name, i, grads[size_t(p - base) + i]});
}

size_t numel(const WeightSpec& s) {
  size_t n = 1;
  for (int64_t d : s.shape) n *= size_t(d);
  return n;
}

TEST(TrainModelFd64, LoraLossAndGradientsMatchTheDoubleReference) {
  Model model = test::synthetic_model(DType::F32);
  LoraWeights lora(model.config(), {.rank = 2, .alpha = 4.0, .targets = parse_lora_targets("all-linear")});
  const Rng rng(5, RngStream::kTest);
  auto values = lora.values();
  for (size_t i = 0; i < values.size(); ++i) values[i] = 0.3f * (2.0f * rng.uniform(i) - 1.0f);
  model.attach_lora(&lora);
  const PackedBatch b(model.config().vocab_size);

  test::ReferenceLlama64 ref(model, &lora);
  const double ref_loss = ref.loss(b.ids, b.targets, b.positions, b.segments, b.B, b.T);
  std::vector<float> losses(size_t(b.B * b.T));
  const float loss = model.forward_loss(b.ids, b.targets, b.B, b.T, losses, b.positions, b.segments);
  EXPECT_NEAR(loss, ref_loss, 1e-5 * ref_loss);

  const auto sum = model.forward_backward(b.ids, b.targets, b.B, b.T, 1.0f / float(b.counted()),
                                          b.positions, b.segments);
  EXPECT_EQ(sum.counted, b.counted());
  EXPECT_NEAR(sum.sum / double(sum.counted), ref_loss, 1e-5 * ref_loss);
  std::vector<Sample> samples;
  const auto grads = lora.grads();
  for (const LoraTensor& t : lora.tensors()) {
    const size_t n = size_t(t.shape[0] * t.shape[1]);
    for (size_t i : spread(n, 3)) samples.push_back({t.name, i, grads[size_t(t.grad - grads.data()) + i]});
  }
  expect_gradients_match(ref, b, samples);
}

TEST(TrainModelFd64, FullFineTuningGradientsMatchTheDoubleReference) {
  Model model = test::synthetic_model(DType::F32);
  FullFinetune full(model);
  const PackedBatch b(model.config().vocab_size);
  test::ReferenceLlama64 ref(model, nullptr);
  const double ref_loss = ref.loss(b.ids, b.targets, b.positions, b.segments, b.B, b.T);
  std::vector<float> losses(size_t(b.B * b.T));
  EXPECT_NEAR(model.forward_loss(b.ids, b.targets, b.B, b.T, losses, b.positions, b.segments), ref_loss,
              1e-5 * ref_loss);
  model.forward_backward(b.ids, b.targets, b.B, b.T, 1.0f / float(b.counted()), b.positions, b.segments);

  std::vector<Sample> samples;
  const auto grads = full.grads();
  const int C = model.config().hidden_size;
  for (const WeightSpec& s : weight_specs(model.config())) {
    if (s.name == "model.embed_tokens.weight") {
      // A row of a token in the batch, and a row of one that never appears (gradient exactly 0).
      std::vector<size_t> entries;
      for (int id : {b.ids[3], b.ids[12]})
        for (int j : {0, C / 2, C - 1}) entries.push_back(size_t(id) * size_t(C) + size_t(j));
      int unused = 0;
      while (std::find(b.ids.begin(), b.ids.end(), unused) != b.ids.end()) ++unused;
      entries.push_back(size_t(unused) * size_t(C) + 1);
      add_weight_samples(samples, model, grads, s, entries);
    } else {
      add_weight_samples(samples, model, grads, s, spread(numel(s), s.is_vector ? 3 : 4));
    }
  }
  expect_gradients_match(ref, b, samples);
}

}  // namespace
}  // namespace ft
