// LoRA dropout as PEFT applies it: y = x·Wᵀ + scaling·(dropout(x)·Aᵀ)·Bᵀ, inverted dropout on
// the LoRA branch's input only (kept elements scaled by 1/(1−p)), in training only.
// A module's mask is a pure function of (seed, key, layer, module, element index), drawn from
// the counter RNG's kDropout stream, so the backward pass (and a checkpointed recompute, and a
// resumed run) regenerates exactly the mask the forward used instead of storing it.
// Each element draws 16 random bits: it is dropped when they fall below round(p·2^16), so the
// drop rate is p within 2^-17.
#pragma once
#include <cstdint>

#include "model/lora.h"

namespace ft {

struct LoraDropout {
  double p = 0.0;
  uint64_t seed = 0, key = 0;

  bool active() const { return p > 0.0; }
  float keep_scale() const { return static_cast<float>(1.0 / (1.0 - p)); }
  // keep[i] = 1 when element i of (layer, module)'s [M, in] input is kept, else 0; n = M·in.
  void mask(uint8_t* keep, int64_t n, int layer, LoraTarget module) const;
};

// y[i] = keep[i] ? scale·x[i] : 0 (the forward), or with accumulate y[i] += ... (the backward,
// where x is the gradient reaching the dropped input).
void apply_dropout(float* y, const float* x, const uint8_t* keep, float scale, int64_t n,
                   bool accumulate);

}  // namespace ft
