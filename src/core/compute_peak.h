// The CPU's arithmetic peak, measured: independent multiply-add chains (more than latency × ports)
// on `threads` std::threads, so only the execution units bound the rate. This is issue #9's
// "physical limit": the fp32 FMA peak of the widest vector unit (AVX-512F, else AVX2+FMA), and
// AMX's bf16 tile product (TDPBF16PS) where the CPU has tiles and the OS granted their state.
// Each call takes the best of 3 runs of `iterations` chain steps per thread (at the defaults a run
// takes 0.1–0.3 s); std::thread rather than OpenMP, so a forking caller never inherits a live pool.
#pragma once
#include <cstdint>
#include <string>

namespace ft {

struct ComputePeak {
  std::string isa = "none";  // "avx512f", "avx2+fma", "amx_bf16"; "none" when the unit is absent
  double gflops = 0;         // 0 when absent
};

ComputePeak fma_peak(int threads, int64_t iterations = 50'000'000);
ComputePeak amx_bf16_peak(int threads, int64_t iterations = 15'000'000);

}  // namespace ft
