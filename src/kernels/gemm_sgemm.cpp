// The sgemm engines (oneDNN's dnnl_sgemm, OpenBLAS's cblas_sgemm, MKL's). bf16 runs as exact bf16
// products with fp32 sums: A and panels of B are widened to fp32 (every product is then the product
// of two bf16 values), or on MKL passed to cblas_gemm_bf16bf16f32 as they are; a bf16 C is rounded
// once at the end. Scratch is per thread and grows to the largest shape seen, so many cached shapes
// do not each hold their own copies.
#include <dnnl.h>
#ifdef FT_HAVE_OPENBLAS
#include <cblas.h>
#endif

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "core/buffer.h"
#include "core/half.h"
#include "kernels/gemm_engines.h"

#ifdef FT_HAVE_MKL
// MKL's ILP64 CBLAS names (64-bit sizes), declared here: mkl_cblas_64.h cannot be included beside
// OpenBLAS's cblas.h (their CBLAS enums collide). The enums are passed as the ints they are.
extern "C" {
void cblas_sgemm_64(int layout, int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                    float alpha, const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                    float* c, int64_t ldc);
void cblas_gemm_bf16bf16f32_64(int layout, int trans_a, int trans_b, int64_t m, int64_t n,
                               int64_t k, float alpha, const uint16_t* a, int64_t lda,
                               const uint16_t* b, int64_t ldb, float beta, float* c, int64_t ldc);
void MKL_Get_Version_String(char* buffer, int length);
}
#endif

namespace ft::gemm_detail {
namespace {

// CBLAS's standard enum values (MKL's calls take them as ints, see above).
[[maybe_unused]] constexpr int kRowMajor = 101, kNoTrans = 111, kTrans = 112;

constexpr int64_t kParallelMin = 1 << 16;  // elements below which a loop stays on one thread
// Widened B panels of up to this many floats: large panels keep the sgemm from re-packing A for
// every narrow panel, small ones bound the scratch for the vocabulary-sized weights.
constexpr int64_t kPanelFloats = int64_t{1} << 23;

void widen(const bf16* in, float* out, int64_t n) {
#pragma omp parallel for if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) out[i] = bf16_to_f32(in[i]);
}

// Columns [n0, n0+np) of a row-major [K,N] bf16 matrix into a dense [K,np] fp32 panel.
void widen_columns(const bf16* in, float* out, int64_t K, int64_t N, int64_t n0, int64_t np) {
#pragma omp parallel for if (K * np > kParallelMin)
  for (int64_t k = 0; k < K; ++k)
    for (int64_t j = 0; j < np; ++j) out[k * np + j] = bf16_to_f32(in[k * N + n0 + j]);
}

float* scratch(int slot, int64_t n) {
  thread_local Buffer<float> buffers[3];
  Buffer<float>& b = buffers[slot];
  if (static_cast<int64_t>(b.size()) < n) b = Buffer<float>(static_cast<size_t>(n));
  return b.data();
}

// C[M,N] = A·B + beta·C on fp32 operands, row-major, leading dimensions as stored.
void sgemm(GemmEngine engine, bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
#ifdef FT_HAVE_MKL
  if (engine == GemmEngine::kMkl) {
    cblas_sgemm_64(kRowMajor, ta ? kTrans : kNoTrans, tb ? kTrans : kNoTrans, M, N, K, 1.0f, a, lda,
                   b, ldb, beta, c, ldc);
    return;
  }
#endif
#ifdef FT_HAVE_OPENBLAS
  if (engine == GemmEngine::kOpenBlas) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                static_cast<blasint>(M), static_cast<blasint>(N), static_cast<blasint>(K), 1.0f, a,
                static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c,
                static_cast<blasint>(ldc));
    return;
  }
#endif
  (void)engine;
  dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, 1.0f, a, lda, b, ldb, beta, c, ldc);
}

// C[M,N] = A·B + beta·C on bf16 operands with fp32 products and sums, by MKL.
#ifdef FT_HAVE_MKL
void mkl_gemm_bf16(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const bf16* a, int64_t lda,
                   const bf16* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  static_assert(sizeof(bf16) == sizeof(uint16_t));
  cblas_gemm_bf16bf16f32_64(kRowMajor, ta ? kTrans : kNoTrans, tb ? kTrans : kNoTrans, M, N, K,
                            1.0f, reinterpret_cast<const uint16_t*>(a), lda,
                            reinterpret_cast<const uint16_t*>(b), ldb, beta, c, ldc);
}
#else
void mkl_gemm_bf16(bool, bool, int64_t, int64_t, int64_t, const bf16*, int64_t, const bf16*, int64_t,
                   float, float*, int64_t) {
  throw std::logic_error("gemm: MKL is not linked into this build");
}
#endif

class SgemmPlan : public PackedPlan {
 public:
  SgemmPlan(const GemmShape& s, GemmEngine engine, const void* packed_from)
      : s_(s), engine_(engine) {
    if (!packed_from) return;
    if (s.b == DType::BF16 && engine == GemmEngine::kMkl) {
      bf16_weight_ = static_cast<const bf16*>(packed_from);
    } else if (s.b == DType::BF16) {
      packed_ = Buffer<float>(static_cast<size_t>(s.N * s.K));
      widen(static_cast<const bf16*>(packed_from), packed_.data(), s.N * s.K);
    } else {
      plain_weight_ = static_cast<const float*>(packed_from);
    }
  }

  void run(const void* a, const void* b, const float* bias, void* c) const override {
    const int64_t M = s_.M, N = s_.N, K = s_.K;
    const bool bf_out = s_.c == DType::BF16;
    float* out = bf_out ? scratch(2, M * N) : static_cast<float*>(c);
    if (bf_out && s_.accumulate) widen(static_cast<const bf16*>(c), out, M * N);
    const float beta = s_.accumulate ? 1.0f : 0.0f;
    const int64_t lda = s_.a_transposed ? M : K;
    if (engine_ == GemmEngine::kMkl && s_.a == DType::BF16) {
      mkl_gemm_bf16(s_.a_transposed, s_.b_transposed, M, N, K, static_cast<const bf16*>(a), lda,
                    bf16_weight_ ? bf16_weight_ : static_cast<const bf16*>(b),
                    s_.b_transposed ? K : N, beta, out, N);
    } else if (s_.a == DType::F32 || packed_.size() != 0 || plain_weight_) {
      sgemm(engine_, s_.a_transposed, s_.b_transposed, M, N, K, widened_a(a),
            lda, weight(b), s_.b_transposed ? K : N, beta, out, N);
    } else {
      multiply_bf16_panels(widened_a(a), lda, static_cast<const bf16*>(b), beta, out);
    }
    if (bias) {
#pragma omp parallel for if (M * N > kParallelMin)
      for (int64_t m = 0; m < M; ++m)
        for (int64_t n = 0; n < N; ++n) out[m * N + n] += bias[n];
    }
    if (bf_out) {
      auto* cb = static_cast<bf16*>(c);
#pragma omp parallel for if (M * N > kParallelMin)
      for (int64_t i = 0; i < M * N; ++i) cb[i] = f32_to_bf16(out[i]);
    }
  }

  size_t packed_bytes() const override { return packed_.size() * sizeof(float); }

 private:
  const float* widened_a(const void* a) const {
    if (s_.a == DType::F32) return static_cast<const float*>(a);
    float* wa = scratch(0, s_.M * s_.K);
    widen(static_cast<const bf16*>(a), wa, s_.M * s_.K);
    return wa;
  }

  const float* weight(const void* b) const {
    if (packed_.size() != 0) return packed_.data();
    return plain_weight_ ? plain_weight_ : static_cast<const float*>(b);
  }

  // B widened panel by panel: slices of its columns (each extra panel re-reads A, M·K floats), or
  // for a [K,N] B much deeper than wide (the LM head's input gradient, K = vocabulary) slices of
  // its rows, contiguous there (each extra panel re-reads and re-writes C, 2·M·N floats).
  void multiply_bf16_panels(const float* a, int64_t lda, const bf16* b, float beta, float* out) const {
    const int64_t N = s_.N, K = s_.K;
    if (!s_.b_transposed && K > 2 * N) {
      const int64_t panel_k = std::clamp<int64_t>(kPanelFloats / N, 16, K);
      float* panel = scratch(1, panel_k * N);
      for (int64_t k0 = 0; k0 < K; k0 += panel_k) {
        const int64_t kp = std::min(panel_k, K - k0);
        widen(b + k0 * N, panel, kp * N);
        // Rows k0.. of a stored Aᵀ [K,M], or columns k0.. of A [M,K].
        const float* a_slice = s_.a_transposed ? a + k0 * lda : a + k0;
        sgemm(engine_, s_.a_transposed, false, s_.M, N, kp, a_slice, lda, panel, N,
              k0 == 0 ? beta : 1.0f, out, N);
      }
      return;
    }
    const int64_t panel_n = std::clamp<int64_t>(kPanelFloats / K, 16, N);
    float* panel = scratch(1, panel_n * K);
    for (int64_t n0 = 0; n0 < N; n0 += panel_n) {
      const int64_t np = std::min(panel_n, N - n0);
      if (s_.b_transposed)
        widen(b + n0 * K, panel, np * K);
      else
        widen_columns(b, panel, K, N, n0, np);
      sgemm(engine_, s_.a_transposed, s_.b_transposed, s_.M, np, K, a, lda, panel,
            s_.b_transposed ? K : np, beta, out + n0, N);
    }
  }

  GemmShape s_;
  GemmEngine engine_;
  Buffer<float> packed_;
  const float* plain_weight_ = nullptr;
  const bf16* bf16_weight_ = nullptr;  // MKL's packed bf16 weight, used in place
};

}  // namespace

bool openblas_linked() {
#ifdef FT_HAVE_OPENBLAS
  return true;
#else
  return false;
#endif
}

std::string openblas_core() {
#ifdef FT_HAVE_OPENBLAS
  return openblas_get_corename();
#else
  return "";
#endif
}

bool mkl_linked() {
#ifdef FT_HAVE_MKL
  return true;
#else
  return false;
#endif
}

std::string mkl_version() {
#ifdef FT_HAVE_MKL
  // "Intel(R) oneAPI Math Kernel Library Version 2026.2-Product Build …" → "MKL 2026.2"
  char text[256] = {};
  MKL_Get_Version_String(text, sizeof text - 1);
  std::string v = text;
  const size_t at = v.find("Version ");
  v = at == std::string::npos ? v : v.substr(at + 8);
  return "MKL " + v.substr(0, v.find_first_of("- "));
#else
  return "";
#endif
}

std::unique_ptr<GemmPlan> make_sgemm_plan(const GemmShape& s, GemmEngine engine) {
  return std::make_unique<SgemmPlan>(s, engine, nullptr);
}

std::unique_ptr<PackedPlan> make_sgemm_packed(const GemmShape& s, GemmEngine engine, const void* w) {
  return std::make_unique<SgemmPlan>(s, engine, w);
}

}  // namespace ft::gemm_detail
