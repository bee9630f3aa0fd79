// LoRA adapters as PEFT builds them: for each targeted Linear W [out,in],
// y = x·Wᵀ + scaling · dropout(x)·Aᵀ·Bᵀ with A [r,in] and B [out,r] in fp32, scaling = alpha/r
// (alpha/sqrt(r) with rslora). dropout is inverted dropout with probability LoraConfig::dropout
// on the branch input only, in Model::forward_backward only (eval and inference see x); its
// seeded masks are described in model/lora_dropout.h. A starts Kaiming-uniform(a=√5) =
// U(−1/√in, 1/√in) as PEFT's reset_lora_parameters, B starts at zero. Adapter values and their gradients each live in one
// allocation, so the optimizer and checkpoints see two flat buffers; tensors are named with
// PEFT's adapter keys (base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight).
#pragma once
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/buffer.h"
#include "model/config.h"

namespace ft {

enum class LoraTarget : int { kQ, kK, kV, kO, kGate, kUp, kDown };
inline constexpr int kLoraTargetCount = 7;
using LoraTargets = std::array<bool, kLoraTargetCount>;

std::string_view lora_target_name(LoraTarget t);    // "q_proj"
std::string_view lora_target_parent(LoraTarget t);  // "self_attn" or "mlp"
// (in, out) features of projection t in a model of config c.
std::pair<int64_t, int64_t> projection_shape(const ModelConfig& c, LoraTarget t);

// --lora_target_modules: names separated by commas and/or spaces, or a list of them. Accepts the
// module names (q_proj ... down_proj), PEFT-style suffixes (self_attn.q_proj, mlp.down_proj) and
// all-linear (every projection; lm_head is never adapted). A name matching nothing is a usage
// error listing the valid names.
LoraTargets parse_lora_targets(std::string_view spec);
LoraTargets parse_lora_targets(std::span<const std::string> names);

struct LoraConfig {
  int rank = 8;
  double alpha = 16.0;
  double dropout = 0.0;
  bool use_rslora = false;
  LoraTargets targets{};

  double scaling() const;
  bool targets_module(LoraTarget t) const { return targets[static_cast<size_t>(t)]; }
  // Usage errors naming the flag: rank >= 1, alpha > 0, dropout in [0, 1), some target.
  void validate() const;
};

// One adapted projection; A is null where the module is not targeted.
struct LoraModule {
  float *A = nullptr, *B = nullptr;    // [r,in], [out,r]
  float *dA = nullptr, *dB = nullptr;  // their gradients, same shapes
  int64_t in = 0, out = 0;
  bool active() const { return A != nullptr; }
};

struct LoraTensor {
  std::string name;  // PEFT adapter key
  std::vector<int64_t> shape;
  float* value;
  float* grad;
};

class LoraWeights {
 public:
  LoraWeights(const ModelConfig& model, const LoraConfig& config);

  const LoraConfig& config() const { return config_; }
  const LoraModule& module(int layer, LoraTarget t) const {
    return layers_[static_cast<size_t>(layer)][static_cast<size_t>(t)];
  }
  // Every adapter tensor in a fixed order (layer, then q k v o gate up down, then A before B).
  const std::vector<LoraTensor>& tensors() const { return tensors_; }
  std::span<float> values() { return {values_.data(), values_.size()}; }
  std::span<float> grads() { return {grads_.data(), grads_.size()}; }
  // Where each layer's tensors begin in values()/grads() (layers are stored in order), for
  // l = 0..L; [L] is the end. Data parallelism all-reduces a layer's gradients once its backward
  // pass is done.
  const std::vector<int64_t>& layer_offsets() const { return layer_offsets_; }

  // PEFT's initial state: A from the seeded counter RNG (element i of values() draws index i of
  // stream kLoraInit), B zero. Gradients are zeroed.
  void init(uint64_t seed);
  void zero_grads();

 private:
  LoraConfig config_;
  std::vector<std::array<LoraModule, kLoraTargetCount>> layers_;
  std::vector<LoraTensor> tensors_;
  std::vector<int64_t> layer_offsets_;
  Buffer<float> values_, grads_;
};

}  // namespace ft
