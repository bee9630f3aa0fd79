// Parity of the engine's decoder with PyTorch + transformers on the tiny random models committed
// under tests/fixtures/tiny_models/ (made by tools/gen_tiny_models.py, which documents the
// reference.json layout). Each model is loaded from its HF directory as transformers saved it.
//
// fp32: logits and per-token losses within 1e-4 absolute. The reference's own fp32 rounding,
// measured against a float64 forward, is at most 6e-6 on these models (reference.json
// "fp64_check"), so 1e-4 leaves room for a different summation order and nothing more.
// bf16: the engine keeps weights and GEMM inputs in bf16 with fp32 accumulation, norms, softmax and
// loss in fp32 — a subset of the roundings of torch's all-bf16 forward, whose deviation from fp32
// is stored in the fixture. The engine's deviation from the fp32 reference may be at most twice
// torch's (both max and mean absolute), the factor covering which elements happen to peak.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "model/model.h"
#include "test_support.h"

namespace ft {
namespace {

constexpr double kFp32Tolerance = 1e-4;
constexpr double kBf16Slack = 2.0;

struct Reference {
  std::string dir;
  int64_t B = 0, T = 0, V = 0;
  std::vector<int> ids, targets;  // [B*T]
  std::vector<float> logits, losses, bf16_logits, bf16_losses;  // [B*T*V], [B*T]
  double mean_loss = 0;
};

std::vector<float> flatten(const nlohmann::json& nested) {
  std::vector<float> out;
  if (nested.is_array()) {
    for (const auto& item : nested) {
      const std::vector<float> inner = flatten(item);
      out.insert(out.end(), inner.begin(), inner.end());
    }
  } else {
    out.push_back(nested.get<float>());
  }
  return out;
}

std::vector<int> flatten_ints(const nlohmann::json& rows) {
  std::vector<int> out;
  for (const auto& row : rows)
    for (const auto& v : row) out.push_back(v.get<int>());
  return out;
}

Reference load_reference(const std::string& name) {
  Reference r;
  r.dir = (test::fixtures_dir() / "tiny_models" / name).string();
  const auto json = nlohmann::json::parse(test::read_file(r.dir + "/reference.json"));
  r.B = json.at("batch").get<int64_t>();
  r.T = json.at("seq_len").get<int64_t>();
  r.V = json.at("vocab_size").get<int64_t>();
  r.ids = flatten_ints(json.at("input_ids"));
  r.targets = flatten_ints(json.at("targets"));
  r.logits = flatten(json.at("fp32").at("logits"));
  r.losses = flatten(json.at("fp32").at("losses"));
  r.mean_loss = json.at("fp32").at("mean_loss").get<double>();
  r.bf16_logits = flatten(json.at("bf16").at("logits"));
  r.bf16_losses = flatten(json.at("bf16").at("losses"));
  const auto BT = static_cast<size_t>(r.B * r.T);
  EXPECT_EQ(r.ids.size(), BT);
  EXPECT_EQ(r.targets.size(), BT);
  EXPECT_EQ(r.logits.size(), BT * static_cast<size_t>(r.V));
  EXPECT_EQ(r.bf16_logits.size(), r.logits.size());
  EXPECT_EQ(r.losses.size(), BT);
  return r;
}

struct Deviation {
  double max = 0, mean = 0;
  size_t worst = 0;
};

Deviation deviation(std::span<const float> got, std::span<const float> want) {
  Deviation d;
  for (size_t i = 0; i < want.size(); ++i) {
    const double diff = std::fabs(double{got[i]} - double{want[i]});
    d.mean += diff;
    if (diff > d.max || std::isnan(diff)) {
      d.max = std::isnan(diff) ? INFINITY : diff;
      d.worst = i;
    }
  }
  d.mean /= static_cast<double>(std::max<size_t>(want.size(), 1));
  return d;
}

// Measured deviations go into the test report (--gtest_output=json) for docs/numerics.md.
void record(const char* key, double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", value);
  ::testing::Test::RecordProperty(key, text);
}

class TinyModelParity : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override { ref_ = load_reference(GetParam()); }
  Reference ref_;
};

TEST_P(TinyModelParity, Fp32LogitsMatchTransformers) {
  Model model = Model::load(ref_.dir, DType::F32);
  const std::span<const float> logits = model.forward(ref_.ids, ref_.B, ref_.T);
  ASSERT_EQ(logits.size(), ref_.logits.size());
  const Deviation d = deviation(logits, ref_.logits);
  record("max_abs_logit_diff", d.max);
  EXPECT_LE(d.max, kFp32Tolerance) << "worst logit at [row " << d.worst / ref_.V << ", vocab "
                                   << d.worst % ref_.V << "]: engine " << logits[d.worst]
                                   << ", transformers " << ref_.logits[d.worst];
}

TEST_P(TinyModelParity, Fp32LossesMatchTransformers) {
  Model model = Model::load(ref_.dir, DType::F32);
  std::vector<float> losses(ref_.losses.size(), -1.0f);
  const float mean = model.forward_loss(ref_.ids, ref_.targets, ref_.B, ref_.T, losses);
  const Deviation d = deviation(losses, ref_.losses);
  record("max_abs_loss_diff", d.max);
  EXPECT_LE(d.max, kFp32Tolerance) << "worst token " << d.worst << ": engine " << losses[d.worst]
                                   << ", transformers " << ref_.losses[d.worst];
  EXPECT_NEAR(mean, ref_.mean_loss, kFp32Tolerance);
  for (size_t i = 0; i < losses.size(); ++i) {
    if (ref_.targets[i] == -100) {
      EXPECT_EQ(losses[i], 0.0f) << "ignored token " << i;
    }
  }
}

// Token-by-token decoding with the KV cache reproduces every position of the full forward.
TEST_P(TinyModelParity, Fp32CachedDecodingMatchesTransformers) {
  Model model = Model::load(ref_.dir, DType::F32);
  KvCache cache = model.new_cache(ref_.B, ref_.T);
  for (int64_t t = 0; t < ref_.T; ++t) {
    std::vector<int> step(static_cast<size_t>(ref_.B));
    for (int64_t b = 0; b < ref_.B; ++b) step[b] = ref_.ids[b * ref_.T + t];
    const std::span<const float> logits = model.forward_cached(cache, step, ref_.B, 1);
    ASSERT_EQ(logits.size(), static_cast<size_t>(ref_.B * ref_.V));
    for (int64_t b = 0; b < ref_.B; ++b) {
      const auto want = std::span<const float>(ref_.logits).subspan((b * ref_.T + t) * ref_.V, ref_.V);
      const Deviation d = deviation(logits.subspan(b * ref_.V, ref_.V), want);
      EXPECT_LE(d.max, kFp32Tolerance) << "row " << b << " position " << t;
    }
    if (HasFailure()) return;  // later positions only repeat the first divergence
  }
}

TEST_P(TinyModelParity, Bf16WithinTwiceTorchBf16Deviation) {
  const Deviation torch_logits = deviation(ref_.bf16_logits, ref_.logits);
  const Deviation torch_losses = deviation(ref_.bf16_losses, ref_.losses);
  ASSERT_GT(torch_logits.max, 0.0) << "the fixture's bf16 logits equal its fp32 logits";

  Model model = Model::load(ref_.dir, DType::BF16);
  const std::span<const float> logits = model.forward(ref_.ids, ref_.B, ref_.T);
  ASSERT_EQ(logits.size(), ref_.logits.size());
  const Deviation ours = deviation(logits, ref_.logits);
  record("max_abs_logit_diff", ours.max);
  record("mean_abs_logit_diff", ours.mean);
  record("torch_bf16_max_abs_logit_diff", torch_logits.max);
  record("torch_bf16_mean_abs_logit_diff", torch_logits.mean);
  EXPECT_LE(ours.max, kBf16Slack * torch_logits.max) << "torch bf16 max " << torch_logits.max;
  EXPECT_LE(ours.mean, kBf16Slack * torch_logits.mean) << "torch bf16 mean " << torch_logits.mean;

  std::vector<float> losses(ref_.losses.size());
  const float mean = model.forward_loss(ref_.ids, ref_.targets, ref_.B, ref_.T, losses);
  const Deviation ours_losses = deviation(losses, ref_.losses);
  record("max_abs_loss_diff", ours_losses.max);
  record("torch_bf16_max_abs_loss_diff", torch_losses.max);
  EXPECT_LE(ours_losses.max, kBf16Slack * torch_losses.max) << "torch bf16 " << torch_losses.max;
  EXPECT_NEAR(mean, ref_.mean_loss, kBf16Slack * torch_losses.max);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, TinyModelParity,
                         ::testing::Values("llama_gqa_untied", "llama3_rope_tied", "mistral",
                                           "qwen2_bias", "llama_sharded_bf16"),
                         [](const auto& param_info) { return std::string(param_info.param); });

}  // namespace
}  // namespace ft
