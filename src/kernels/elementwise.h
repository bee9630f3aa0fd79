// Elementwise helpers on flat buffers of n elements: residual add and bulk bf16 <-> fp32.
#pragma once
#include <cstdint>

#include "core/half.h"

namespace ft {

// out[i] = a[i] + b[i]; out may alias a or b.
void add_forward(float* out, const float* a, const float* b, int64_t n);
void convert_to_bf16(bf16* out, const float* in, int64_t n);
void convert_to_f32(float* out, const bf16* in, int64_t n);

}  // namespace ft
