// What this CPU can run, read once from CPUID (and the OS's AMX permission), so kernels pick the
// fastest correct path at run time. Benchmarks and `finetune inspect` print `describe()`.
#pragma once
#include <string>

namespace ft {

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512_bf16 = false;
  bool avx512_fp16 = false;
  bool avx512_vnni = false;
  bool amx_tile = false;
  bool amx_bf16 = false;  // true only when the kernel also granted tile data permission
};

const CpuFeatures& cpu_features();
std::string describe(const CpuFeatures& f);

}  // namespace ft
