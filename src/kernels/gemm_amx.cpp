// The AMX engine: bf16 A·B on AMX tiles (amx_gemm.h), C in fp32 or bf16, any layout. Each call
// packs A into tiles, and B too unless a packed plan packed it once. C is cut into tasks of up to
// 256 × 256, spread over OpenMP threads; a task sums its elements in one fixed order, so the result
// does not depend on the thread count. Bias and accumulation are added when a task's fp32 sums go
// to C. Emulated tiles run the same code on CPUs without AMX (tests).
#include <algorithm>
#include <exception>

#include "core/buffer.h"
#include "core/amx_tiles.h"
#include "kernels/amx_gemm_task.h"
#include "kernels/amx_tiles_emulated.h"
#include "kernels/gemm_engines.h"

namespace ft::gemm_detail {
namespace {

using namespace amx;

constexpr int64_t kTaskBlocks = 8;                     // a task: up to 8 × 8 blocks of 32 × 32
constexpr int64_t kTaskLd = kTaskBlocks * kBlock + 16;  // padded so its rows do not alias in L1

// A and B of `s` into tiles, in whichever layout the shape stores them.
void pack_input(const GemmShape& s, const bf16* a, bf16* out) {
  if (s.a_transposed) pack_a(a, s.M, s.K, 1, s.M, out);
  else pack_a(a, s.M, s.K, s.K, 1, out);
}

void pack_weight(const GemmShape& s, const bf16* b, bf16* out) {
  if (s.b_transposed) pack_b(b, s.K, s.N, 1, s.K, out);
  else pack_b(b, s.K, s.N, s.N, 1, out);
}

bf16* scratch(int slot, int64_t n) {
  thread_local Buffer<bf16> buffers[2];
  Buffer<bf16>& b = buffers[slot];
  if (static_cast<int64_t>(b.size()) < n) b = Buffer<bf16>(static_cast<size_t>(n));
  return b.data();
}

// A task's fp32 sums [rows, cols] (row stride kTaskLd) into C at (m0, n0), with bias and the old C.
void write_task(const GemmShape& s, const float* sums, int64_t m0, int64_t n0, int64_t rows,
                int64_t cols, const float* bias, void* c) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* in = sums + r * kTaskLd;
    const int64_t at = (m0 + r) * s.N + n0;
    for (int64_t j = 0; j < cols; ++j) {
      float v = bias ? in[j] + bias[n0 + j] : in[j];
      if (s.c == DType::BF16) {
        bf16* out = static_cast<bf16*>(c) + at;
        out[j] = f32_to_bf16(s.accumulate ? v + bf16_to_f32(out[j]) : v);
      } else {
        float* out = static_cast<float*>(c) + at;
        out[j] = s.accumulate ? v + out[j] : v;
      }
    }
  }
}

class AmxPlan : public PackedPlan {
 public:
  AmxPlan(const GemmShape& s, AmxTiles tiles, const void* packed_from) : s_(s), tiles_(tiles) {
    if (!packed_from) return;
    packed_b_ = Buffer<bf16>(size_t(packed_elems(s.N, s.K)));
    pack_weight(s, static_cast<const bf16*>(packed_from), packed_b_.data());
  }

  void run(const void* a, const void* b, const float* bias, void* c) const override {
    const GemmShape& s = s_;
    bf16* pa = scratch(0, packed_elems(s.M, s.K));
    pack_input(s, static_cast<const bf16*>(a), pa);
    const bf16* pb = packed_b_.data();
    if (!pb) {
      bf16* fresh = scratch(1, packed_elems(s.N, s.K));
      pack_weight(s, static_cast<const bf16*>(b), fresh);
      pb = fresh;
    }
    const int64_t steps = blocks(s.K);
    const int64_t row_tasks = (blocks(s.M) + kTaskBlocks - 1) / kTaskBlocks;
    const int64_t col_tasks = (blocks(s.N) + kTaskBlocks - 1) / kTaskBlocks;
    const auto run = tiles_ == AmxTiles::kHardware ? run_task<HardwareTiles> : run_task<EmulatedTiles>;
    // The emulated tiles throw on a misused instruction; an exception must not leave the parallel
    // region, so the first one is kept and thrown after it.
    std::exception_ptr failure;
#pragma omp parallel for schedule(static)
    for (int64_t task = 0; task < row_tasks * col_tasks; ++task) try {
      thread_local Buffer<float> sums(size_t(kTaskBlocks * kBlock * kTaskLd));
      const int64_t i = task / col_tasks * kTaskBlocks, j = task % col_tasks * kTaskBlocks;
      Task t{.a = tiles_at(pa, i, 0, steps),
             .b = tiles_at(pb, j, 0, steps),
             .steps = steps,
             .row_blocks = std::min(kTaskBlocks, blocks(s.M) - i),
             .col_blocks = std::min(kTaskBlocks, blocks(s.N) - j),
             .c = sums.data(),
             .ldc = kTaskLd};
      run(t);
      const int64_t m0 = i * kBlock, n0 = j * kBlock;
      write_task(s, sums.data(), m0, n0, std::min(t.row_blocks * kBlock, s.M - m0),
                 std::min(t.col_blocks * kBlock, s.N - n0), bias, c);
    } catch (...) {
#pragma omp critical(ft_amx_failure)
      if (!failure) failure = std::current_exception();
    }
    if (failure) std::rethrow_exception(failure);
  }

  size_t packed_bytes() const override { return packed_b_.size() * sizeof(bf16); }

 private:
  GemmShape s_;
  AmxTiles tiles_;
  Buffer<bf16> packed_b_;
};

}  // namespace

std::unique_ptr<GemmPlan> make_amx_plan(const GemmShape& s, AmxTiles tiles) {
  return std::make_unique<AmxPlan>(s, tiles, nullptr);
}

std::unique_ptr<PackedPlan> make_amx_packed(const GemmShape& s, AmxTiles tiles, const void* w) {
  return std::make_unique<AmxPlan>(s, tiles, w);
}

}  // namespace ft::gemm_detail
