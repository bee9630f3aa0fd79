// merge_lora: the merged model's logits equal the base model's with the adapter attached; and
// save_hf_model: what it writes Model::load reads back unchanged, single file or sharded with an
// index, with config.json's torch_dtype and the generation/tokenizer files.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

#include "core/half.h"
#include "formats/safetensors.h"
#include "lora_test_support.h"
#include "model/hf_writer.h"
#include "model/merge.h"
#include "model_test_support.h"
#include "test_support.h"

namespace ft {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kB = 2, kT = 7;

std::string tiny_model() { return (test::fixtures_dir() / "tiny_models" / "llama_gqa_untied").string(); }

double max_abs(std::span<const float> v) {
  double m = 0;
  for (float x : v) m = std::max(m, static_cast<double>(std::fabs(x)));
  return m;
}

// Max |merged − attached| logits for a model in `dtype` with an all-linear rank-4 adapter.
struct MergeError {
  double merged_vs_attached, scale;
};
MergeError merge_error(DType dtype, bool rslora) {
  Model model = test::synthetic_model(dtype);
  LoraWeights lora(model.config(), {.rank = 4, .alpha = 8.0, .use_rslora = rslora,
                                    .targets = parse_lora_targets("all-linear")});
  test::randomise_lora(lora, 17, 0.3f);
  const auto ids = test::token_ids(kB * kT, model.config().vocab_size, 3);
  const auto base = test::logits_of(model, ids, kB, kT);
  model.attach_lora(&lora);
  const auto attached = test::logits_of(model, ids, kB, kT);
  model.attach_lora(nullptr);
  merge_lora(model, lora);
  const auto merged = test::logits_of(model, ids, kB, kT);
  // The adapter must matter, or the comparison proves nothing.
  EXPECT_GT(test::max_abs_diff(base, attached), 1.0);
  return {test::max_abs_diff(merged, attached), max_abs(attached)};
}

TEST(MergeLora, Fp32MergedLogitsMatchAttachedAdapter) {
  for (bool rslora : {false, true}) {
    const MergeError e = merge_error(DType::F32, rslora);
    EXPECT_LT(e.merged_vs_attached, 1e-5 * std::max(1.0, e.scale)) << "rslora " << rslora;
  }
}

// bf16: the merged weight is rounded to bf16 once (relative 2^-9), where the attached adapter runs
// in fp32 beside bf16 weights; the logits differ by a few bf16 roundings of the activations. The
// bound is twice what the bf16 model itself deviates from fp32 on the same input (measured on the
// AVX2 dev machine: merged vs attached 0.017, bf16 vs fp32 0.021, max |logit| 2.3), while the
// adapter moves the logits by more than 1 (2.7), so a wrong merge (missing scaling, transposed B·A)
// fails it.
TEST(MergeLora, Bf16MergedLogitsMatchAttachedAdapterWithinBf16Rounding) {
  Model f32 = test::synthetic_model(DType::F32);
  Model b16 = test::synthetic_model(DType::BF16);
  const auto ids = test::token_ids(kB * kT, f32.config().vocab_size, 3);
  const double bf16_noise = test::max_abs_diff(test::logits_of(f32, ids, kB, kT), test::logits_of(b16, ids, kB, kT));
  const MergeError e = merge_error(DType::BF16, false);
  EXPECT_LT(e.merged_vs_attached, 2 * bf16_noise) << "bf16 model vs fp32: " << bf16_noise;
}

TEST(MergeLora, LeavesUntargetedWeightsAlone) {
  Model model = test::synthetic_model(DType::F32);
  Model reference = test::synthetic_model(DType::F32);
  LoraWeights lora(model.config(), {.rank = 2, .alpha = 2.0, .targets = parse_lora_targets("v_proj")});
  test::randomise_lora(lora, 4, 0.3f);
  merge_lora(model, lora);
  const auto& c = model.config();
  for (const auto& spec : weight_specs(c)) {
    const size_t bytes = static_cast<size_t>(spec.shape[0] * (spec.shape.size() > 1 ? spec.shape[1] : 1)) * 4;
    const bool same = std::memcmp(weight_pointer(model.weights(), c, spec),
                                  weight_pointer(reference.weights(), c, spec), bytes) == 0;
    EXPECT_EQ(same, spec.name.find("v_proj") == std::string::npos) << spec.name;
  }
}

TEST(SaveHfModel, Fp32SaveLoadGivesIdenticalLogits) {
  Model model = Model::load(tiny_model());
  const fs::path out = test::scratch_dir() / "saved";
  save_hf_model(out.string(), model, tiny_model(), DType::F32);
  EXPECT_TRUE(fs::exists(out / "model.safetensors"));
  EXPECT_FALSE(fs::exists(out / "model.safetensors.index.json"));
  EXPECT_TRUE(fs::exists(out / "generation_config.json"));
  const auto config = nlohmann::json::parse(test::read_file(out / "config.json"));
  EXPECT_EQ(config["torch_dtype"], "float32");
  EXPECT_EQ(config["architectures"][0], "LlamaForCausalLM");
  Model loaded = Model::load(out.string());
  const auto ids = test::token_ids(kB * kT, model.config().vocab_size, 9);
  EXPECT_EQ(test::max_abs_diff(test::logits_of(model, ids, kB, kT), test::logits_of(loaded, ids, kB, kT)), 0.0);
}

TEST(SaveHfModel, Bf16StoresEveryTensorRoundedToBf16) {
  Model model = Model::load(tiny_model());
  const fs::path out = test::scratch_dir() / "saved";
  save_hf_model(out.string(), model, tiny_model(), DType::BF16);
  EXPECT_EQ(nlohmann::json::parse(test::read_file(out / "config.json"))["torch_dtype"], "bfloat16");
  const WeightStore store = WeightStore::open_dir(out.string());
  const auto& c = model.config();
  for (const auto& spec : weight_specs(c)) {
    const TensorView& t = store.require(spec.name, spec.shape);
    ASSERT_EQ(t.dtype, DType::BF16) << spec.name;
    std::vector<float> got(static_cast<size_t>(t.numel()));
    WeightStore::copy_to_f32(t, got.data());
    const auto* want = static_cast<const float*>(weight_pointer(model.weights(), c, spec));
    for (size_t i = 0; i < got.size(); ++i)
      ASSERT_EQ(got[i], bf16_to_f32(f32_to_bf16(want[i]))) << spec.name << " " << i;
  }
}

TEST(SaveHfModel, ShardsWithIndexThatModelLoadReads) {
  Model model = Model::load(tiny_model());
  const fs::path out = test::scratch_dir() / "saved";
  save_hf_model(out.string(), model, tiny_model(), DType::F32, /*max_shard_bytes=*/20'000);
  const auto index = nlohmann::json::parse(test::read_file(out / "model.safetensors.index.json"));
  const auto& c = model.config();
  int64_t total = 0;
  for (const auto& spec : weight_specs(c)) {
    ASSERT_TRUE(index["weight_map"].contains(spec.name)) << spec.name;
    total += 4 * spec.shape[0] * (spec.shape.size() > 1 ? spec.shape[1] : 1);
  }
  EXPECT_EQ(index["metadata"]["total_size"], total);
  const std::string last = index["weight_map"]["lm_head.weight"];
  EXPECT_EQ(last.substr(0, 6), "model-");
  const int shards = std::stoi(last.substr(15, 5));
  EXPECT_GT(shards, 2);
  for (int k = 1; k <= shards; ++k) {
    char name[64];
    std::snprintf(name, sizeof name, "model-%05d-of-%05d.safetensors", k, shards);
    EXPECT_TRUE(fs::exists(out / name)) << name;
  }
  EXPECT_FALSE(fs::exists(out / "model.safetensors"));
  Model loaded = Model::load(out.string());
  const auto ids = test::token_ids(kB * kT, c.vocab_size, 9);
  EXPECT_EQ(test::max_abs_diff(test::logits_of(model, ids, kB, kT), test::logits_of(loaded, ids, kB, kT)), 0.0);

  // Saving again unsharded removes the old shards and index, which would otherwise shadow it.
  save_hf_model(out.string(), model, tiny_model(), DType::F32);
  EXPECT_FALSE(fs::exists(out / "model.safetensors.index.json"));
  EXPECT_FALSE(fs::exists(out / ("model-00001-of-" + last.substr(15, 5) + ".safetensors")));
  Model reloaded = Model::load(out.string());
  EXPECT_EQ(test::max_abs_diff(test::logits_of(model, ids, kB, kT), test::logits_of(reloaded, ids, kB, kT)), 0.0);
}

}  // namespace
}  // namespace ft
