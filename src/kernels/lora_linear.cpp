#include "kernels/lora_linear.h"

#include <algorithm>

#include "kernels/gemm.h"

// The backward's per-chunk loops run on the widest vector unit (target_clones dispatches once per
// call); the OpenMP loops stay outside the clones, whose outlined bodies would not inherit the
// target.
#define FT_LORA_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

namespace ft {
namespace {

// C[m,n] (+)= A·B with fp32 operands; the flags say how A and B are stored.
void gemm_f32(const float* a, const float* b, float* c, int64_t m, int64_t n, int64_t k,
              bool a_transposed, bool b_transposed, bool accumulate) {
  gemm(GemmShape{.M = m, .N = n, .K = k, .a_transposed = a_transposed,
                 .b_transposed = b_transposed, .accumulate = accumulate},
       a, b, nullptr, c);
}

int64_t chunk_count(int64_t M) { return (M + kLoraChunkRows - 1) / kLoraChunkRows; }

// Columns per block of the row passes: a block of 4 rows of the streamed matrix, its output rows
// and the r rows of the weights and of the partial stay in L1 together for r up to 8.
constexpr int64_t kBlock = 256;

// u[k*r + j] = scale · Σ_i v[k][i]·w[j*N + i] for the `rows` rows v[k] = v + k*N: four products
// at a time, so four FMA chains hide each other's latency.
FT_LORA_CLONES
void project_rows(float* u, const float* v, int64_t rows, const float* w, int64_t N, int64_t r,
                  float scale) {
  for (int64_t k = 0; k < rows; ++k) {
    const float* vk = v + k * N;
    int64_t j = 0;
    for (; j + 4 <= r; j += 4) {
      const float *w0 = w + j * N, *w1 = w0 + N, *w2 = w1 + N, *w3 = w2 + N;
      float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
#pragma omp simd reduction(+ : a0, a1, a2, a3)
      for (int64_t i = 0; i < N; ++i) {
        a0 += vk[i] * w0[i];
        a1 += vk[i] * w1[i];
        a2 += vk[i] * w2[i];
        a3 += vk[i] * w3[i];
      }
      u[k * r + j] = scale * a0;
      u[k * r + j + 1] = scale * a1;
      u[k * r + j + 2] = scale * a2;
      u[k * r + j + 3] = scale * a3;
    }
    for (; j < r; ++j) {
      const float* wj = w + j * N;
      float a = 0;
#pragma omp simd reduction(+ : a)
      for (int64_t i = 0; i < N; ++i) a += vk[i] * wj[i];
      u[k * r + j] = scale * a;
    }
  }
}

// part[j*N + n] += Σ_k u[k*r + j]·v[k*N + n] over the `rows` (≤ 4) rows v[k], and, when y is not
// null, y[k*N + n] += Σ_j u[k*r + j]·w[j*N + n]: one trip through the rows for both.
FT_LORA_CLONES
void rows_outer_and_expand(float* part, float* y, const float* v, const float* u, int64_t rows,
                           const float* w, int64_t N, int64_t r) {
  for (int64_t n0 = 0; n0 < N; n0 += kBlock) {
    const int64_t nb = std::min(kBlock, N - n0);
    for (int64_t j = 0; j < r; ++j) {
      float* pj = part + j * N + n0;
      const float* v0 = v + n0;
      if (rows == 4) {
        const float u0 = u[j], u1 = u[r + j], u2 = u[2 * r + j], u3 = u[3 * r + j];
        const float *v1 = v0 + N, *v2 = v1 + N, *v3 = v2 + N;
#pragma omp simd
        for (int64_t n = 0; n < nb; ++n) pj[n] += u0 * v0[n] + u1 * v1[n] + u2 * v2[n] + u3 * v3[n];
      } else {
        for (int64_t k = 0; k < rows; ++k) {
          const float uk = u[k * r + j];
          const float* vk = v0 + k * N;
#pragma omp simd
          for (int64_t n = 0; n < nb; ++n) pj[n] += uk * vk[n];
        }
      }
      if (!y) continue;
      const float* wj = w + j * N + n0;
      for (int64_t k = 0; k < rows; ++k) {
        const float uk = u[k * r + j];
        float* yk = y + k * N + n0;
#pragma omp simd
        for (int64_t n = 0; n < nb; ++n) yk[n] += uk * wj[n];
      }
    }
  }
}

// Rows [m0, m1) of the backward, in groups of 4: from dy, du = s·dy·B into du and dyᵀ·su (dB's
// share, transposed) into part_b; from x, duᵀ·x (dA's share) into part_a and du·A into dx.
FT_LORA_CLONES
void backward_chunk(float* dx, float* du, float* part_a, float* part_b, const float* dy,
                    const float* x, const float* A, const float* Bt, const float* su,
                    const LoraShape& s, int64_t m0, int64_t m1) {
  const int64_t r = s.r;
  std::fill_n(part_a, r * s.in, 0.0f);
  std::fill_n(part_b, r * s.out, 0.0f);
  for (int64_t m = m0; m < m1; m += 4) {
    const int64_t rows = std::min<int64_t>(4, m1 - m);
    project_rows(du + m * r, dy + m * s.out, rows, Bt, s.out, r, s.scaling);
    rows_outer_and_expand(part_b, nullptr, dy + m * s.out, su + m * r, rows, nullptr, s.out, r);
    rows_outer_and_expand(part_a, dx ? dx + m * s.in : nullptr, x + m * s.in, du + m * r, rows, A,
                          s.in, r);
  }
}

}  // namespace

int64_t lora_backward_scratch_floats(int64_t M, int64_t r, int64_t widest) {
  // du [M,r], Bᵀ [r,out], and each chunk's two partials [r,in] and [r,out].
  return M * r + r * widest + chunk_count(M) * 2 * r * widest;
}

void lora_forward(float* y, float* su, const float* x, const float* A, const float* B,
                  const LoraShape& s) {
  gemm_f32(x, A, su, s.M, s.r, s.in, false, true, false);
  for (int64_t i = 0; i < s.M * s.r; ++i) su[i] *= s.scaling;
  gemm_f32(su, B, y, s.M, s.out, s.r, false, true, true);
}

void lora_backward(float* dx, float* dA, float* dB, float* scratch, const float* dy,
                   const float* x, const float* A, const float* B, const float* su,
                   const LoraShape& s) {
  const int64_t r = s.r, chunks = chunk_count(s.M), part_floats = r * (s.in + s.out);
  float* du = scratch;
  float* Bt = du + s.M * r;
  float* parts = Bt + r * s.out;
  for (int64_t o = 0; o < s.out; ++o)
    for (int64_t j = 0; j < r; ++j) Bt[j * s.out + o] = B[o * r + j];
#pragma omp parallel for schedule(static) if (s.M * (s.in + s.out) > (1 << 16))
  for (int64_t c = 0; c < chunks; ++c) {
    float* part = parts + c * part_floats;
    backward_chunk(dx, du, part, part + r * s.in, dy, x, A, Bt, su, s, c * kLoraChunkRows,
                   std::min(s.M, (c + 1) * kLoraChunkRows));
  }
  // The partials in chunk order, each thread owning a block of columns of dA [r,in], then of rows
  // of dB [out,r] (filled from the partials' [r,out]), so no two threads write one cache line.
  const bool parallel = part_floats * chunks > (1 << 16);
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t i0 = 0; i0 < s.in; i0 += kBlock)
    for (int64_t c = 0; c < chunks; ++c)
      for (int64_t j = 0; j < r; ++j) {
        const float* part_a = parts + c * part_floats + j * s.in;
        for (int64_t i = i0; i < std::min(s.in, i0 + kBlock); ++i) dA[j * s.in + i] += part_a[i];
      }
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t o0 = 0; o0 < s.out; o0 += kBlock)
    for (int64_t c = 0; c < chunks; ++c)
      for (int64_t j = 0; j < r; ++j) {
        const float* part_b = parts + c * part_floats + r * s.in + j * s.out;
        for (int64_t o = o0; o < std::min(s.out, o0 + kBlock); ++o) dB[o * r + j] += part_b[o];
      }
}

}  // namespace ft
