// PEFT adapter directories: save → load round trip, the adapter_config.json fields PEFT needs,
// keys with the adapter name and bf16 tensors accepted, and one-line errors naming the file and
// key for a wrong rank, a missing / unknown / mis-shaped tensor, a non-LoRA peft_type and a target
// module the model does not have.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "core/half.h"
#include "formats/safetensors.h"
#include "lora_test_support.h"
#include "model/peft_adapter.h"
#include "model_test_support.h"
#include "safetensors_test_util.h"
#include "test_support.h"

namespace ft {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

ModelConfig config() { return parse_model_config(test::kConfig, "synthetic/config.json"); }

LoraWeights random_adapter(const ModelConfig& c) {
  LoraWeights lora(c, {.rank = 4, .alpha = 8.0, .dropout = 0.05,
                       .targets = parse_lora_targets("q_proj,v_proj,down_proj")});
  test::randomise_lora(lora, 5, 0.5f);
  return lora;
}

// A saved adapter directory whose config and tensors a test may then spoil.
fs::path saved_adapter() {
  const fs::path dir = test::scratch_dir() / "adapter";
  save_peft_adapter(dir.string(), random_adapter(config()), "base-model");
  return dir;
}

json read_config(const fs::path& dir) { return json::parse(test::read_file(dir / kAdapterConfigFile)); }

void edit_config(const fs::path& dir, const char* field, const json& value) {
  json c = read_config(dir);
  c[field] = value;
  test::write_file(dir / kAdapterConfigFile, c.dump(2));
}

// Rewrites the adapter's tensors through `edit(name, shape, values)` (return false to drop one).
template <class Edit>
void rewrite_tensors(const fs::path& dir, Edit edit) {
  const std::string path = (dir / kAdapterWeightsFile).string();
  std::vector<std::string> names;
  std::vector<std::vector<int64_t>> shapes;
  std::vector<std::vector<float>> values;
  {
    const WeightStore store = WeightStore::open_file(path);
    for (const std::string& n : store.names()) {
      const TensorView& t = store.require(n);
      std::vector<float> v(static_cast<size_t>(t.numel()));
      WeightStore::copy_to_f32(t, v.data());
      std::string name = n;
      std::vector<int64_t> shape = t.shape;
      if (!edit(name, shape, v)) continue;
      names.push_back(name);
      shapes.push_back(shape);
      values.push_back(std::move(v));
    }
  }
  std::vector<TensorToWrite> out;
  for (size_t i = 0; i < names.size(); ++i)
    out.push_back({names[i], DType::F32, shapes[i],
                   {reinterpret_cast<const std::byte*>(values[i].data()), values[i].size() * 4}});
  write_safetensors(path, out);
}

TEST(PeftAdapter, SaveThenLoadRoundTrips) {
  const ModelConfig c = config();
  LoraWeights lora = random_adapter(c);
  const fs::path dir = test::scratch_dir() / "adapter";
  save_peft_adapter(dir.string(), lora, "org/base");
  const auto loaded = load_peft_adapter(dir.string(), c);
  EXPECT_EQ(loaded->config().rank, 4);
  EXPECT_EQ(loaded->config().alpha, 8.0);
  EXPECT_EQ(loaded->config().dropout, 0.05);
  EXPECT_EQ(loaded->config().targets, lora.config().targets);
  ASSERT_EQ(loaded->tensors().size(), lora.tensors().size());
  const auto a = lora.values();
  const auto b = loaded->values();
  EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin(), b.end()));
}

TEST(PeftAdapter, ConfigHasTheFieldsPeftReads) {
  const fs::path dir = saved_adapter();
  const json c = read_config(dir);
  EXPECT_EQ(c["peft_type"], "LORA");
  EXPECT_EQ(c["task_type"], "CAUSAL_LM");
  EXPECT_EQ(c["r"], 4);
  EXPECT_TRUE(c["lora_alpha"].is_number_integer());
  EXPECT_EQ(c["lora_alpha"], 8);
  EXPECT_EQ(c["target_modules"], json({"down_proj", "q_proj", "v_proj"}));
  EXPECT_EQ(c["base_model_name_or_path"], "base-model");
  EXPECT_EQ(c["bias"], "none");
  EXPECT_EQ(c["inference_mode"], true);
  EXPECT_EQ(c["use_rslora"], false);
  EXPECT_TRUE(c["revision"].is_null());
  EXPECT_TRUE(c["modules_to_save"].is_null());
  const WeightStore store = WeightStore::open_file((dir / kAdapterWeightsFile).string());
  const TensorView& a = store.require("base_model.model.model.layers.1.mlp.down_proj.lora_A.weight");
  EXPECT_EQ(a.dtype, DType::F32);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{4, 80}));
}

TEST(PeftAdapter, AcceptsAdapterNameInKeysAndBf16Tensors) {
  const fs::path dir = saved_adapter();
  const auto original = load_peft_adapter(dir.string(), config());
  const std::string path = (dir / kAdapterWeightsFile).string();
  std::vector<std::string> names;
  std::vector<std::vector<int64_t>> shapes;
  std::vector<std::vector<bf16>> values;
  for (const LoraTensor& t : original->tensors()) {
    std::string name = t.name;
    name.replace(name.rfind(".weight"), 7, ".default.weight");
    names.push_back(name);
    shapes.push_back(t.shape);
    std::vector<bf16> v;
    for (int64_t i = 0; i < t.shape[0] * t.shape[1]; ++i) v.push_back(f32_to_bf16(t.value[i]));
    values.push_back(std::move(v));
  }
  std::vector<TensorToWrite> out;
  for (size_t i = 0; i < names.size(); ++i)
    out.push_back({names[i], DType::BF16, shapes[i],
                   {reinterpret_cast<const std::byte*>(values[i].data()), values[i].size() * 2}});
  write_safetensors(path, out);
  const auto loaded = load_peft_adapter(dir.string(), config());
  const auto want = original->values();
  const auto got = loaded->values();
  for (size_t i = 0; i < want.size(); ++i)
    ASSERT_EQ(got[i], bf16_to_f32(f32_to_bf16(want[i]))) << i;
}

TEST(PeftAdapter, RejectsWrongRank) {
  const fs::path dir = saved_adapter();
  edit_config(dir, "r", 2);
  test::expect_input_error([&] { load_peft_adapter(dir.string(), config()); },
                           {kAdapterWeightsFile, "lora_A.weight", "has shape [4, ", "r=2"});
}

TEST(PeftAdapter, RejectsMissingTensor) {
  const fs::path dir = saved_adapter();
  rewrite_tensors(dir, [](std::string& name, auto&, auto&) {
    return name.find("layers.1.self_attn.v_proj.lora_B") == std::string::npos;
  });
  test::expect_input_error([&] { load_peft_adapter(dir.string(), config()); },
                           {kAdapterWeightsFile, "missing tensor", "layers.1.self_attn.v_proj.lora_B.weight"});
}

TEST(PeftAdapter, RejectsWrongShape) {
  const fs::path dir = saved_adapter();
  rewrite_tensors(dir, [](std::string& name, std::vector<int64_t>& shape, std::vector<float>& v) {
    if (name.find("layers.0.mlp.down_proj.lora_B") != std::string::npos) {
      shape = {shape[0] / 2, shape[1]};
      v.resize(v.size() / 2);
    }
    return true;
  });
  test::expect_input_error([&] { load_peft_adapter(dir.string(), config()); },
                           {kAdapterWeightsFile, "layers.0.mlp.down_proj.lora_B.weight"});
}

TEST(PeftAdapter, RejectsUnknownTensor) {
  const fs::path dir = saved_adapter();
  rewrite_tensors(dir, [](std::string& name, auto&, auto&) {
    if (name.find("layers.0.self_attn.q_proj.lora_A") != std::string::npos)
      name = "base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector";
    return true;
  });
  test::expect_input_error([&] { load_peft_adapter(dir.string(), config()); },
                           {kAdapterWeightsFile, "unexpected tensor", "lora_magnitude_vector"});
}

TEST(PeftAdapter, RejectsNonLoraPeftType) {
  const fs::path dir = saved_adapter();
  edit_config(dir, "peft_type", "PREFIX_TUNING");
  test::expect_input_error([&] { load_peft_adapter(dir.string(), config()); },
                           {kAdapterConfigFile, "peft_type", "PREFIX_TUNING"});
}

TEST(PeftAdapter, RejectsTargetModuleTheModelLacks) {
  const fs::path dir = saved_adapter();
  edit_config(dir, "target_modules", json({"q_proj", "c_attn"}));
  test::expect_input_error([&] { load_peft_adapter(dir.string(), config()); },
                           {kAdapterConfigFile, "target_modules", "c_attn"});
}

// PEFT saves a string target_modules as the user gave it, and matches it as a regular expression
// against whole module names; such adapters were refused with a message about a CLI flag.
TEST(PeftAdapter, ReadsARegexTargetModulesAsPeftMatchesIt) {
  const fs::path dir = saved_adapter();  // q_proj, v_proj, down_proj
  for (const char* pattern : {R"(.*\.(q_proj|v_proj|down_proj))", R"(model\.layers\.\d+\.(self_attn\.[qv]|mlp\.down)_proj)"}) {
    edit_config(dir, "target_modules", pattern);
    const auto loaded = load_peft_adapter(dir.string(), config());
    EXPECT_EQ(loaded->config().targets, parse_lora_targets("q_proj,v_proj,down_proj")) << pattern;
  }
  edit_config(dir, "target_modules", "(q_proj");
  test::expect_input_error([&] { load_peft_adapter(dir.string(), config()); },
                           {kAdapterConfigFile, "target_modules", "(q_proj", "not a regular expression"});
  // One that matches only some of the adapted modules disagrees with the tensors.
  edit_config(dir, "target_modules", R"(.*\.q_proj)");
  test::expect_input_error([&] { load_peft_adapter(dir.string(), config()); }, {kAdapterConfigFile});
}

TEST(PeftAdapter, RejectsUnsupportedLoraVariants) {
  const fs::path dir = saved_adapter();
  edit_config(dir, "use_dora", true);
  test::expect_input_error([&] { load_peft_adapter(dir.string(), config()); },
                           {kAdapterConfigFile, "use_dora"});
  edit_config(dir, "use_dora", false);
  edit_config(dir, "rank_pattern", json({{"q_proj", 8}}));
  test::expect_input_error([&] { load_peft_adapter(dir.string(), config()); },
                           {kAdapterConfigFile, "rank_pattern"});
}

TEST(PeftAdapter, MissingDirectoryOrWeightsNameThePath) {
  const fs::path dir = test::scratch_dir() / "nowhere";
  test::expect_input_error([&] { load_peft_adapter(dir.string(), config()); }, {dir.string()});
  const fs::path saved = saved_adapter();
  fs::remove(saved / kAdapterWeightsFile);
  test::expect_input_error([&] { load_peft_adapter(saved.string(), config()); },
                           {kAdapterWeightsFile, "missing"});
}

}  // namespace
}  // namespace ft
