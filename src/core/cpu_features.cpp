#include "core/cpu_features.h"

#include <cpuid.h>
#include <cstdint>
#include <sys/syscall.h>
#include <unistd.h>

namespace ft {
namespace {

constexpr long kArchReqXcompPerm = 0x1023;
constexpr long kXfeatureXtiledata = 18;

bool request_amx_permission() {
  return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
}

// XCR0: the register state the OS saves on a context switch; 0 when the OS does not use XSAVE.
uint64_t os_saved_state(unsigned cpuid1_ecx) {
  if (!(cpuid1_ecx & (1u << 27))) return 0;  // OSXSAVE
  uint32_t lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (uint64_t{hi} << 32) | lo;
}

CpuFeatures detect() {
  CpuFeatures f;
  unsigned a, b, c, d;
  if (__get_cpuid_max(0, nullptr) < 7) return f;
  __cpuid(1, a, b, c, d);
  // CPUID names what the core can run; an instruction is usable only if the OS also saves its
  // registers (a kernel or hypervisor can leave AVX-512 state off while CPUID still lists it).
  const uint64_t xcr0 = os_saved_state(c);
  const bool ymm = (xcr0 & 0x6) == 0x6;             // SSE and AVX state
  const bool zmm = ymm && (xcr0 & 0xe0) == 0xe0;    // opmask and both halves of ZMM state
  f.fma = ymm && (c & (1u << 12));
  __cpuid_count(7, 0, a, b, c, d);
  f.avx2 = ymm && (b & (1u << 5));
  f.avx512f = zmm && (b & (1u << 16));
  f.avx512bw = zmm && (b & (1u << 30));
  f.avx512vl = zmm && (b & (1u << 31));
  f.avx512_vnni = zmm && (c & (1u << 11));
  f.avx512_fp16 = zmm && (d & (1u << 23));
  f.amx_bf16 = d & (1u << 22);
  f.amx_tile = d & (1u << 24);
  __cpuid_count(7, 1, a, b, c, d);
  f.avx512_bf16 = zmm && (a & (1u << 5));
  if (f.amx_tile && f.amx_bf16) f.amx_bf16 = request_amx_permission();
  else f.amx_bf16 = false;
  return f;
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures f = detect();
  return f;
}

std::string describe(const CpuFeatures& f) {
  std::string s;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!s.empty()) s += ' ';
    s += name;
  };
  add(f.avx2, "avx2");
  add(f.fma, "fma");
  add(f.avx512f, "avx512f");
  add(f.avx512bw, "avx512bw");
  add(f.avx512_bf16, "avx512_bf16");
  add(f.avx512_fp16, "avx512_fp16");
  add(f.avx512_vnni, "avx512_vnni");
  add(f.amx_bf16, "amx_bf16");
  return s.empty() ? "generic x86-64" : s;
}

}  // namespace ft
