// The decoder on a small synthetic model (random weights): batch rows are independent, explicit
// positions equal the defaults, losses equal cross-entropy of forward()'s logits, bf16 stays near
// fp32, bad ids are one-line errors, and loading reports a missing or misshapen tensor by name.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/error.h"
#include "core/half.h"
#include "formats/safetensors.h"
#include "kernels/cross_entropy.h"
#include "model/model.h"
#include "model_test_support.h"
#include "test_support.h"

namespace ft {
namespace {

using test::kConfig;
using test::random_tensors;
using test::synthetic_model;

std::vector<int> random_ids(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> u(0, 96);
  std::vector<int> ids(n);
  for (auto& id : ids) id = u(rng);
  return ids;
}

TEST(ModelForward, BatchRowsAreIndependentAndPositionsDefaultToZeroBased) {
  Model model = synthetic_model(DType::F32);
  const int64_t T = 9, V = 97;
  const auto ids = random_ids(2 * T, 1);
  const auto both_span = model.forward(ids, 2, T);
  const std::vector<float> both(both_span.begin(), both_span.end());
  std::vector<int> positions(2 * T);
  for (int64_t i = 0; i < 2 * T; ++i) positions[i] = static_cast<int>(i % T);
  const auto explicit_pos = model.forward(ids, 2, T, positions);
  for (size_t i = 0; i < both.size(); ++i) ASSERT_EQ(explicit_pos[i], both[i]);
  for (int64_t b = 0; b < 2; ++b) {
    const auto row = model.forward(std::span<const int>(ids).subspan(b * T, T), 1, T);
    for (int64_t i = 0; i < T * V; ++i) ASSERT_NEAR(row[i], both[b * T * V + i], 1e-5);
  }
}

// RoPE makes attention depend on position differences only: shifting every position changes
// nothing beyond rounding, while a gap between tokens changes the logits.
TEST(ModelForward, OnlyRelativePositionsMatter) {
  Model model = synthetic_model(DType::F32);
  const auto ids = random_ids(4, 2);
  const auto a_span = model.forward(ids, 1, 4);
  const std::vector<float> a(a_span.begin(), a_span.end());
  auto max_diff = [&](std::span<const float> b) {
    double d = 0;
    for (size_t i = 0; i < a.size(); ++i) d = std::max(d, std::fabs(double(a[i]) - b[i]));
    return d;
  };
  const std::vector<int> shifted{5, 6, 7, 8}, gapped{0, 1, 5, 9};
  EXPECT_LT(max_diff(model.forward(ids, 1, 4, shifted)), 1e-4);
  EXPECT_GT(max_diff(model.forward(ids, 1, 4, gapped)), 1e-3);
}

TEST(ModelForward, LossesEqualCrossEntropyOfLogits) {
  Model model = synthetic_model(DType::F32);
  const int64_t B = 2, T = 6, V = 97;
  const auto ids = random_ids(B * T, 3);
  auto targets = random_ids(B * T, 4);
  targets[3] = kIgnoreIndex;
  targets[11] = kIgnoreIndex;
  const auto logits_span = model.forward(ids, B, T);
  const std::vector<float> logits(logits_span.begin(), logits_span.end());
  std::vector<float> want(B * T), got(B * T);
  cross_entropy_forward(want.data(), nullptr, logits.data(), targets.data(), B * T, V);
  const float mean = model.forward_loss(ids, targets, B, T, got);
  double sum = 0;
  for (int64_t i = 0; i < B * T; ++i) {
    EXPECT_NEAR(got[i], want[i], 1e-5);
    sum += want[i];
  }
  EXPECT_NEAR(mean, sum / 10.0, 1e-5);
}

TEST(ModelForward, Bf16StaysCloseToFp32) {
  Model f32 = synthetic_model(DType::F32);
  Model b16 = synthetic_model(DType::BF16);
  const auto ids = random_ids(8, 5);
  const auto a_span = f32.forward(ids, 1, 8);
  const std::vector<float> a(a_span.begin(), a_span.end());
  const auto b = b16.forward(ids, 1, 8);
  double diff = 0, scale = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::fabs(double(a[i]) - b[i]));
    scale = std::max(scale, std::fabs(double(a[i])));
  }
  EXPECT_GT(diff, 0.0);          // the bf16 path really rounds
  EXPECT_LT(diff, 0.05 * scale);  // a few bf16 roundings, not a different model
}

TEST(ModelForward, OutOfVocabularyIdIsAUsageError) {
  Model model = synthetic_model(DType::F32);
  const std::vector<int> ids{1, 97, 3};
  try {
    model.forward(ids, 1, 3);
    FAIL() << "expected ft::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitUsage);
    EXPECT_NE(std::string(e.what()).find("ids[1] = 97"), std::string::npos) << e.what();
  }
}

// Writes the synthetic model as a HF directory, dropping or reshaping one tensor.
std::string write_model_dir(const std::string& drop, const std::string& reshape) {
  const auto dir = test::scratch_dir();
  test::write_file(dir / "config.json", kConfig);
  const ModelConfig c = parse_model_config(kConfig, "config.json");
  const auto specs = weight_specs(c);
  const auto values = random_tensors(c, 9);
  std::vector<TensorToWrite> tensors;
  for (size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].name == drop) continue;
    auto shape = specs[i].shape;
    if (specs[i].name == reshape) shape = {shape[0] * shape.back()};
    tensors.push_back({specs[i].name, DType::F32, shape, std::as_bytes(std::span(values[i]))});
  }
  write_safetensors((dir / "model.safetensors").string(), tensors);
  return dir.string();
}

TEST(ModelForward, LoadsAWrittenDirectoryAndNamesABadTensor) {
  EXPECT_NO_THROW(Model::load(write_model_dir("", ""), DType::BF16));
  for (const auto& [drop, reshape] : {std::pair<std::string, std::string>{"model.layers.1.mlp.up_proj.weight", ""},
                                      {"", "model.layers.0.self_attn.k_proj.weight"}}) {
    const std::string name = drop.empty() ? reshape : drop;
    try {
      Model::load(write_model_dir(drop, reshape));
      FAIL() << "expected ft::Error for " << name;
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), kExitBadInput);
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  }
}

// A config.json whose vocabulary the weights do not hold (2^31 - 1 words: 0.5 TB at this width)
// used to allocate the model from the config first and die in std::bad_alloc; the tensors are
// now checked before anything is allocated.
TEST(ModelForward, AConfigTheWeightsDoNotMatchFailsBeforeAllocating) {
  const std::string dir = write_model_dir("", "");
  std::string config = kConfig;
  const size_t at = config.find("\"vocab_size\"");
  ASSERT_NE(at, std::string::npos);
  config.replace(at, config.find_first_of(",}", at) - at, "\"vocab_size\": 2147483647");
  test::write_file(std::filesystem::path(dir) / "config.json", config);
  try {
    Model::load(dir);
    FAIL() << "expected ft::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitBadInput);
    EXPECT_NE(std::string(e.what()).find("model.embed_tokens.weight"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ft
