#include "core/compute_peak.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <thread>
#include <vector>

#include "core/amx_tiles.h"
#include "core/cpu_features.h"

namespace ft {
namespace {

// kChains independent a·b + c chains on vectors of kLanes floats; inlined into the callers below,
// whose target makes each a·b + c one FMA instruction on that unit's registers.
template <int kLanes, int kChains>
[[gnu::always_inline]] inline float fma_chains(int64_t iters) {
  using Vec [[gnu::vector_size(kLanes * sizeof(float))]] = float;
  Vec acc[kChains];
  const Vec b = Vec{} + 0.999999f, c = Vec{} + 1e-7f;
#pragma GCC unroll 16
  for (int i = 0; i < kChains; ++i) acc[i] = Vec{} + float(i);
  for (int64_t n = 0; n < iters; ++n) {
#pragma GCC unroll 16
    for (int i = 0; i < kChains; ++i) acc[i] = acc[i] * b + c;
  }
  float sum = 0;
  for (int i = 0; i < kChains; ++i) sum += acc[i][0];
  return sum;
}

__attribute__((target("avx2,fma"))) float avx2_fma_chains(int64_t iters) { return fma_chains<8, 12>(iters); }
__attribute__((target("avx512f"))) float avx512_fma_chains(int64_t iters) { return fma_chains<16, 16>(iters); }

// Four accumulator tiles (16 × 16 fp32) fed by two A and two B tiles (16 rows of 32 bf16), so four
// independent TDPBF16PS chains: 4 · 16·16·32·2 = 65536 FLOPs per step. Zero operands: the tile
// unit's rate does not depend on the values.
float amx_bf16_chains(int64_t iters) {
  using T = HardwareTiles;
  alignas(64) static const uint16_t operand[16 * 32] = {};
  alignas(64) float out[16 * 16];
  T::configure(full_tiles_config());
  T::zero<0>();
  T::zero<1>();
  T::zero<2>();
  T::zero<3>();
  T::load<4>(operand, 64);
  T::load<5>(operand, 64);
  T::load<6>(operand, 64);
  T::load<7>(operand, 64);
  for (int64_t n = 0; n < iters; ++n) {
    T::dot<0, 4, 6>();
    T::dot<1, 4, 7>();
    T::dot<2, 5, 6>();
    T::dot<3, 5, 7>();
  }
  T::store<0>(out, 64);
  T::release();
  return out[0];
}

// Best GFLOP/s of 3 runs of `chains` on every thread.
double best_rate(int threads, int64_t iters, double flops_per_iter, const std::function<float(int64_t)>& chains) {
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    std::vector<float> sinks(static_cast<size_t>(threads));
    std::vector<std::thread> pool;
    // A thread that cannot be started (a memory limit) throws with others running: they are
    // joined before the error goes on (a joinable std::thread's destructor ends the process).
    struct JoinAll {
      std::vector<std::thread>& pool;
      ~JoinAll() {
        for (std::thread& t : pool)
          if (t.joinable()) t.join();
      }
    } join_all{pool};
    const auto start = std::chrono::steady_clock::now();
    for (int t = 0; t < threads; ++t) pool.emplace_back([&, t] { sinks[size_t(t)] = chains(iters); });
    for (std::thread& t : pool) t.join();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    volatile float keep = sinks[0];  // the chains' results are used, so they are not optimised away
    (void)keep;
    best = std::max(best, double(threads) * double(iters) * flops_per_iter / s / 1e9);
  }
  return best;
}

}  // namespace

ComputePeak fma_peak(int threads, int64_t iterations) {
  const CpuFeatures& cpu = cpu_features();
  if (cpu.avx512f) return {"avx512f", best_rate(threads, iterations, 16 * 16 * 2, avx512_fma_chains)};
  if (cpu.avx2 && cpu.fma) return {"avx2+fma", best_rate(threads, iterations, 12 * 8 * 2, avx2_fma_chains)};
  return {};
}

ComputePeak amx_bf16_peak(int threads, int64_t iterations) {
  if (!cpu_features().amx_bf16) return {};
  return {"amx_bf16", best_rate(threads, iterations, 4.0 * 16 * 16 * 32 * 2, amx_bf16_chains)};
}

}  // namespace ft
