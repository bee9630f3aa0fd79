// The measured engine rule (gemm_select.cpp) pinned per CPU kind and shape class, with the host
// injected: AVX2-only with OpenBLAS on AVX2 kernels, AVX2 with OpenBLAS on generic kernels or
// without OpenBLAS, AVX-512 without AMX, AMX. The shapes are the model's (docs/performance-gemm.md).
#include <gtest/gtest.h>

#include "kernels/gemm_engines.h"
#include "kernels/linear.h"

namespace ft {
namespace {

using gemm_detail::GemmHost;
using gemm_detail::measured_choice;

GemmHost avx2_host(std::string openblas_core = "Zen") {
  GemmHost h;
  h.cpu.avx2 = h.cpu.fma = true;
  h.openblas_core = std::move(openblas_core);
  return h;
}

GemmHost avx512_host(bool amx) {
  GemmHost h = avx2_host("SkylakeX");
  h.cpu.avx512f = h.cpu.avx512bw = h.cpu.avx512vl = h.cpu.avx512_bf16 = true;
  h.cpu.amx_tile = h.cpu.amx_bf16 = amx;
  h.onednn_native_bf16 = true;
  return h;
}

// TinyLlama's shapes for 4096 tokens (M rows, K in, N out as linear.h takes them).
GemmShape forward(int64_t M, int64_t K, int64_t N, DType dt = DType::F32) {
  return linear_shape(M, K, N, dt, false);
}
GemmShape input_grad(int64_t M, int64_t K, int64_t N, DType dt = DType::F32) {
  return linear_backward_input_shape(M, K, N, dt, false);
}
GemmShape weight_grad(int64_t M, int64_t K, int64_t N, DType dt = DType::F32) {
  return linear_backward_weight_shape(M, K, N, dt);
}

constexpr GemmEngine kOneDnn = GemmEngine::kOneDnn, kSgemm = GemmEngine::kOneDnnSgemm,
                     kOpenBlas = GemmEngine::kOpenBlas;

TEST(KernelsGemmRule, Avx2SendsTheClassesOpenBlasWinsToOpenBlas) {
  const GemmHost h = avx2_host();
  // k/v weight gradient of a grouped-query model: few output rows, wide input.
  EXPECT_EQ(measured_choice(weight_grad(4096, 2048, 256), h), kOpenBlas);
  EXPECT_EQ(measured_choice(weight_grad(4096, 2048, 256, DType::BF16), h), kOpenBlas);
  // The LM head's input gradient over a loss chunk, fp32 only.
  EXPECT_EQ(measured_choice(input_grad(131, 2048, 32000), h), kOpenBlas);
  EXPECT_EQ(measured_choice(input_grad(131, 2048, 32000, DType::BF16), h), kSgemm);
}

TEST(KernelsGemmRule, Avx2KeepsOneDnnElsewhere) {
  const GemmHost h = avx2_host();
  for (DType dt : {DType::F32, DType::BF16}) {
    const GemmEngine onednn = dt == DType::F32 ? kOneDnn : kSgemm;
    EXPECT_EQ(measured_choice(forward(4096, 2048, 2048, dt), h), onednn);
    EXPECT_EQ(measured_choice(forward(131, 2048, 32000, dt), h), onednn);
    EXPECT_EQ(measured_choice(input_grad(4096, 2048, 256, dt), h), onednn);
    EXPECT_EQ(measured_choice(weight_grad(4096, 2048, 5632, dt), h), onednn);
    // SmolLM2: narrow k/v weight gradient and the LM head's input gradient at width 576.
    EXPECT_EQ(measured_choice(weight_grad(4096, 576, 192, dt), h), onednn);
    EXPECT_EQ(measured_choice(input_grad(85, 576, 49152, dt), h), onednn);
  }
  // LoRA's rank-8 products (always fp32): dA += duᵀ·x and dB += dyᵀ·su.
  EXPECT_EQ(measured_choice(weight_grad(4096, 2048, 8), h), kOneDnn);
  EXPECT_EQ(measured_choice(weight_grad(4096, 8, 2048), h), kOneDnn);
}

TEST(KernelsGemmRule, OpenBlasOnlyWithItsAvx2KernelsAndOnAvx2Only) {
  const GemmShape kv_dw = weight_grad(4096, 2048, 256);
  EXPECT_EQ(measured_choice(kv_dw, avx2_host("Haswell")), kOpenBlas);
  EXPECT_EQ(measured_choice(kv_dw, avx2_host("Prescott")), kOneDnn);  // a CPU OpenBLAS misreads
  EXPECT_EQ(measured_choice(kv_dw, avx2_host("")), kOneDnn);          // built without OpenBLAS
  EXPECT_EQ(measured_choice(kv_dw, avx512_host(false)), kOneDnn);
  EXPECT_EQ(measured_choice(kv_dw, avx512_host(true)), kOneDnn);
}

TEST(KernelsGemmRule, Bf16IsNativeOnlyWithAmx) {
  const GemmShape bf = forward(4096, 2048, 2048, DType::BF16);
  EXPECT_EQ(measured_choice(bf, avx512_host(true)), kOneDnn);
  EXPECT_EQ(measured_choice(bf, avx512_host(false)), kSgemm);
  EXPECT_EQ(measured_choice(forward(4096, 2048, 2048), avx512_host(true)), kOneDnn);
  GemmHost amx_without_onednn_bf16 = avx512_host(true);
  amx_without_onednn_bf16.onednn_native_bf16 = false;
  EXPECT_EQ(measured_choice(bf, amx_without_onednn_bf16), kSgemm);
}

}  // namespace
}  // namespace ft
