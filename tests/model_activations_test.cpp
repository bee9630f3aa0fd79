// The activation arena's plan: the inputs of projections that are not trained (ln2 for gate/up,
// mlp for down) are one buffer shared by every layer in a training plan, so LoRA on q,v keeps
// (C + I)·B·T floats less per layer; anything training them keeps a slice per layer. That the
// shared buffers are never read back is checked by the gradient tests (TrainModel.*: LoRA
// gradients bitwise against a backward that keeps everything, for q,v / k / o / up / down).
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace ft
