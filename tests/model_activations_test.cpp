// The activation arena's plan: the inputs of projections that are not trained (ln2 for gate/up,
// mlp for down) are one buffer shared by every layer in a training plan, so LoRA on q,v keeps
// (C + I)·B·T floats less per layer; anything training them keeps a slice per layer; one layer's
// gradients fit the logits region. That nothing shared is read back while still needed is checked
// by the gradient tests (TrainModel.*: LoRA gradients bitwise against a backward that keeps
// everything, for q,v / k / o / up / down; finite differences).
#include <gtest/gtest.h>

#include <algorithm>

#include "model/activations.h"
#include "model/lora.h"
#include "model/memory_estimate.h"
#include "model_test_support.h"

namespace ft {
namespace {

int64_t aligned(int64_t floats) { return (floats + 15) / 16 * 16; }

TEST(ModelActivations, UntrainedMlpInputsAreOneSharedBuffer) {
  const ModelConfig c = parse_model_config(test::kConfig, "synthetic/config.json");
  const int64_t B = 2, T = 24, BT = B * T, C = c.hidden_size, I = c.intermediate_size;
  const int64_t L = c.num_hidden_layers;
  ASSERT_GE(L, 2);
  const ActivationPlan all = plan_activations(c, B, T, true, BT);
  const ActivationPlan none = plan_activations(c, B, T, true, BT, {.gate_up = false, .down = false});
  const ActivationPlan gate_up = plan_activations(c, B, T, true, BT, {.gate_up = true, .down = false});
  EXPECT_EQ(all.total - none.total, (L - 1) * (aligned(BT * C) + aligned(BT * I)));
  EXPECT_EQ(all.total - gate_up.total, (L - 1) * aligned(BT * I));
  EXPECT_LT(all.ln2, all.layer_slice);
  EXPECT_LT(all.mlp, all.layer_slice);
  EXPECT_GE(none.ln2, none.layer_slice);
  EXPECT_GE(none.mlp, none.layer_slice);
  EXPECT_LT(gate_up.ln2, gate_up.layer_slice);
  EXPECT_GE(gate_up.mlp, gate_up.layer_slice);
  // Inference shares every layer's slice anyway: keeping changes nothing there.
  EXPECT_EQ(plan_activations(c, B, T, false, BT).total,
            plan_activations(c, B, T, false, BT, {.gate_up = false, .down = false}).total);
}

// One layer's gradients live in the logits region, which the LM head has finished with when the
// layers' backward starts; the MLP's and the attention's gradients share the room after dln.
TEST(ModelActivations, OneLayersGradientsFitTheLogitsRegion) {
  const ModelConfig c = parse_model_config(test::kConfig, "synthetic/config.json");
  const int64_t B = 2, T = 24, BT = B * T, C = c.hidden_size, I = c.intermediate_size;
  const int64_t QD = int64_t{c.num_attention_heads} * c.head_dim;
  const int64_t KVD = int64_t{c.num_key_value_heads} * c.head_dim;
  const int64_t chunk = 5;  // fewer logits than one layer's gradients
  const GradientPlan g = plan_gradients(c, BT, chunk, 8, false);
  const ActivationPlan p = plan_activations(c, B, T, true, chunk, {}, g.layer_floats);
  ASSERT_GT(g.layer_floats, chunk * c.vocab_size);
  EXPECT_EQ(p.logits_floats, g.layer_floats);
  EXPECT_EQ(p.total - plan_activations(c, B, T, true, chunk).total,
            aligned(g.layer_floats) - aligned(chunk * c.vocab_size));
  EXPECT_EQ(g.dln, 0);
  EXPECT_EQ(g.dmlp, aligned(BT * C));
  EXPECT_EQ(g.dgate, g.dmlp);
  EXPECT_EQ(g.dq, g.dmlp);
  EXPECT_EQ(g.layer_floats, aligned(BT * C) + std::max(2 * aligned(BT * I),
                                                       2 * aligned(BT * QD) + 2 * aligned(BT * KVD)));
  EXPECT_LE(g.datt + BT * QD, g.layer_floats);
  EXPECT_LE(g.dup + BT * I, g.layer_floats);
}

TEST(ModelActivations, TheMemoryPlanKeepsWhatTheTargetsTrain) {
  const ModelConfig c = parse_model_config(test::kConfig, "synthetic/config.json");
  const auto arena = [&](const char* targets, bool use_lora = true) {
    TrainShape s;
    s.batch = 2;
    s.seq = 24;
    s.use_lora = use_lora;
    s.lora.targets = parse_lora_targets(targets);
    return plan_training_memory(c, s).activation_arena;
  };
  const int64_t BT = 48, per_layer = aligned(BT * c.hidden_size) + aligned(BT * c.intermediate_size);
  EXPECT_EQ(arena("q_proj,v_proj") + (c.num_hidden_layers - 1) * per_layer * int64_t{sizeof(float)},
            arena("q_proj,v_proj,gate_proj,down_proj"));
  EXPECT_EQ(arena("q_proj,v_proj,up_proj,down_proj"), arena("q_proj,v_proj,gate_proj,down_proj"));
  EXPECT_EQ(arena("q_proj,v_proj", false), arena("q_proj,v_proj,gate_proj,down_proj"));
}

// Forced onto the own AMX engine (FT_GEMM_ENGINE=amx, the way issue #9 measures it), the plan
// counted no GEMM buffers, as if bf16 ran in oneDNN; the engine packs A and the whole of B in bf16.
TEST(ModelActivations, TheMemoryPlanCountsEachEnginesBf16Buffers) {
  ModelConfig c = parse_model_config(test::kConfig, "synthetic/config.json");
  TrainShape s;
  s.batch = 2;
  s.seq = 24;
  s.bf16 = true;
  const int64_t rows = 2, chunk = 7, BT = rows * s.seq;
  const int64_t C = c.hidden_size, I = c.intermediate_size, V = c.vocab_size;
  const int64_t widest = std::max({C, I, int64_t{c.num_attention_heads} * c.head_dim});
  const int64_t a = std::max(BT * widest, chunk * V), b = std::max(widest * C, V * C);
  EXPECT_EQ(gemm_scratch_bytes(c, s, rows, chunk, GemmEngine::kOneDnn), 0);
  EXPECT_EQ(gemm_scratch_bytes(c, s, rows, chunk, GemmEngine::kAmx), (a + b) * 2);
  EXPECT_EQ(gemm_scratch_bytes(c, s, rows, chunk, GemmEngine::kOneDnnSgemm), (a + b) * 4);  // b below a panel
  s.bf16 = false;
  EXPECT_EQ(gemm_scratch_bytes(c, s, rows, chunk, GemmEngine::kAmx), 0);
}

}  // namespace
}  // namespace ft
