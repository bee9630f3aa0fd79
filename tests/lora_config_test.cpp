#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/error.h"
#include "model/lora.h"

namespace ft {
namespace {

ModelConfig tiny_config() {
  ModelConfig c;
  c.hidden_size = 16;
  c.intermediate_size = 40;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.head_dim = 6;
  c.vocab_size = 32;
  return c;
}

TEST(LoraConfig, ParsesListsCommasSpacesAndAllLinear) {
  const LoraTargets qv = parse_lora_targets("q_proj,v_proj");
  EXPECT_EQ(qv, (LoraTargets{true, false, true, false, false, false, false}));
  EXPECT_EQ(parse_lora_targets("q_proj v_proj"), qv);
  EXPECT_EQ(parse_lora_targets(" self_attn.q_proj , v_proj "), qv);
  const std::vector<std::string> list = {"gate_proj", "mlp.down_proj"};
  EXPECT_EQ(parse_lora_targets(list), (LoraTargets{false, false, false, false, true, false, true}));
  LoraTargets all;
  all.fill(true);
  EXPECT_EQ(parse_lora_targets("all-linear"), all);
}

TEST(LoraConfig, UnknownModuleIsAUsageErrorListingValidNames) {
  try {
    parse_lora_targets("q_proj,vproj");
    FAIL() << "vproj was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitUsage);
    const std::string msg = e.what();
    EXPECT_NE(msg.find("'vproj'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("down_proj"), std::string::npos) << msg;
    EXPECT_NE(msg.find("all-linear"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  EXPECT_THROW(parse_lora_targets("lm_head"), Error);
  LoraConfig none;
  EXPECT_THROW(none.validate(), Error);
}

TEST(LoraConfig, ScalingAndValidation) {
  LoraConfig c{.rank = 4, .alpha = 8.0, .targets = parse_lora_targets("q_proj")};
  EXPECT_DOUBLE_EQ(c.scaling(), 2.0);
  c.use_rslora = true;
  EXPECT_DOUBLE_EQ(c.scaling(), 4.0);
  c.rank = 0;
  EXPECT_THROW(c.validate(), Error);
  c.rank = 4;
  c.dropout = 1.0;
  EXPECT_THROW(c.validate(), Error);
}

TEST(LoraWeights, ShapesNamesAndPeftInit) {
  const ModelConfig mc = tiny_config();
  LoraWeights w(mc, {.rank = 3, .alpha = 6.0, .targets = parse_lora_targets("q_proj,k_proj,down_proj")});
  ASSERT_EQ(w.tensors().size(), 2u * 3u * 2u);
  EXPECT_EQ(w.tensors()[0].name, "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight");
  EXPECT_EQ(w.tensors()[0].shape, (std::vector<int64_t>{3, 16}));
  EXPECT_EQ(w.tensors()[1].shape, (std::vector<int64_t>{24, 3}));
  EXPECT_EQ(w.tensors()[3].shape, (std::vector<int64_t>{12, 3}));  // k_proj B: NKV*HD out
  EXPECT_EQ(w.tensors()[5].name, "base_model.model.model.layers.0.mlp.down_proj.lora_B.weight");
  EXPECT_EQ(w.tensors()[4].shape, (std::vector<int64_t>{3, 40}));
  EXPECT_EQ(w.values().size(), 2u * 3u * (16 + 24 + 16 + 12 + 40 + 16));
  EXPECT_FALSE(w.module(1, LoraTarget::kV).active());
  EXPECT_EQ(w.module(1, LoraTarget::kDown).in, 40);

  w.init(1234);
  for (const LoraTensor& t : w.tensors()) {
    const int64_t n = t.shape[0] * t.shape[1];
    const bool is_a = t.name.ends_with("lora_A.weight");
    const double bound = 1.0 / std::sqrt(static_cast<double>(t.shape[1]));
    double max_abs = 0;
    for (int64_t i = 0; i < n; ++i) max_abs = std::max(max_abs, std::abs(double{t.value[i]}));
    if (is_a) {
      EXPECT_LE(max_abs, bound) << t.name;
      EXPECT_GT(max_abs, 0.7 * bound) << t.name;
    } else {
      EXPECT_EQ(max_abs, 0.0) << t.name;
    }
  }
  std::vector<float> first(w.values().begin(), w.values().end());
  w.init(1234);
  EXPECT_TRUE(std::equal(first.begin(), first.end(), w.values().begin()));
  w.init(1235);
  EXPECT_FALSE(std::equal(first.begin(), first.end(), w.values().begin()));
}

}  // namespace
}  // namespace ft
