// training_flops_per_token against counts worked out by hand, stage by stage, for a small model
// (so every term is visible), and against the numbers docs/performance.md reports for the
// TinyLlama-2-layer benchmark workload.
#include <gtest/gtest.h>

#include <string>

#include "model/config.h"
#include "model/lora.h"
#include "model/model_flops.h"

namespace {

// C 4, I 8, 2 heads of 2, 1 kv head (KVD 2), vocab 10, 2 layers.
ft::ModelConfig small_config() {
  return ft::parse_model_config(
      R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 4, "intermediate_size": 8,
          "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1,
          "vocab_size": 10, "max_position_embeddings": 64})",
      "config.json");
}

ft::LoraConfig lora(const std::string& targets, int rank = 1) {
  return {.rank = rank, .alpha = 2.0, .dropout = 0.0, .targets = ft::parse_lora_targets(targets)};
}

// Weights of the small model: q 4x4 = 16, k 8, v 8, o 16, gate 32, up 32, down 32 (144 in all);
// attention at T = 4: 4 · (T/2) · QD = 4 · 2 · 4 = 32 FLOPs per token per pass.
constexpr double kQ = 16, kKV = 8, kO = 16, kMlp = 32, kAll = 144, kAttention = 32, kHead = 40;

TEST(ModelFlops, FullFineTuningRunsEveryProductThreeWays) {
  const double expected = 2 * (6 * kAll + 3 * kAttention) + 6 * kHead;
  EXPECT_DOUBLE_EQ(ft::training_flops_per_token(small_config(), nullptr, 4), expected);
  // The LM head runs on the counted rows only.
  EXPECT_DOUBLE_EQ(ft::training_flops_per_token(small_config(), nullptr, 4, 0.5),
                   expected - 3 * kHead);
}

TEST(ModelFlops, LoraOnQAndVSkipsTheFirstLayersQkvInputGradients) {
  // r = 1: q's adapter has 4 + 4 weights, v's 4 + 2.
  const double adapters = 6 * (8 + 6);
  const double layer = 4 * kAll + adapters + 3 * kAttention;
  // Layer 0 computes neither the frozen q/k/v input gradients (2 per weight) nor the adapters'
  // input gradients of q and v (2·r·in each).
  const double first = layer - 2 * (kQ + 2 * kKV) - 2 * (4 + 4);
  const ft::LoraConfig qv = lora("q_proj,v_proj");
  EXPECT_DOUBLE_EQ(ft::training_flops_per_token(small_config(), &qv, 4), layer + first + 4 * kHead);
}

TEST(ModelFlops, LoraOnTheMlpOnlyStopsLayerZerosBackwardAtItsMlp) {
  const ft::LoraConfig mlp = lora("gate_proj,up_proj,down_proj");
  const double adapters = 6 * (3 * (4 + 8));  // each adapter: 4 + 8 weights at r = 1
  const double layer = 4 * kAll + adapters + 3 * kAttention;
  // Layer 0: forward of everything; backward: down's input gradient (the gate/up adapters need
  // it), the three adapters' weight gradients (2·r·in + 4·r·out each: dA, dB and dy·B), and
  // nothing of attention: no gate/up input gradient, no o_proj, no attention backward.
  const double forward = 2 * kAll + 2 * (3 * 12) + kAttention;
  const double down_dx = 2 * kMlp + 2 * 8;  // frozen, and its adapter's input gradient (in = I = 8)
  const double weight_grads = 2 * (2 * 4 + 4 * 8) + (2 * 8 + 4 * 4);
  EXPECT_DOUBLE_EQ(ft::training_flops_per_token(small_config(), &mlp, 4),
                   layer + forward + down_dx + weight_grads + 4 * kHead);
}

TEST(ModelFlops, TinyLlamaTwoLayerWorkloadsAsDocumented) {
  const ft::ModelConfig c = ft::parse_model_config(
      R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 2048, "intermediate_size": 5632,
          "num_hidden_layers": 2, "num_attention_heads": 32, "num_key_value_heads": 4,
          "vocab_size": 32000, "max_position_embeddings": 2048})",
      "config.json");
  // docs/performance.md: 617.1 M per token for q,v at T = 512 (issue #9's 627.6 M less the
  // first layer's 10.5 M of q/k/v input gradients).
  const ft::LoraConfig qv = lora("q_proj,v_proj", 8);
  EXPECT_NEAR(ft::training_flops_per_token(c, &qv, 512), 617.1e6, 0.05e6);
  EXPECT_NEAR(ft::training_flops_per_token(c, &qv, 512) +
                  2.0 * 2048 * (2048 + 2 * 256) + 2.0 * 8 * 2048 * 2,
              627.6e6, 0.1e6);
}

}  // namespace
