// This process's memory as the kernel counts it (/proc/self/status): resident now (VmRSS) and
// the high-water mark since start (VmHWM), in bytes; 0 where /proc is unavailable. And the most
// it may hold: the machine's memory, or its container's (cgroup v2 or v1) limit where lower.
#pragma once
#include <cstdint>

namespace ft {

int64_t resident_bytes();
int64_t peak_resident_bytes();
int64_t memory_limit_bytes();  // 0 when unknown

}  // namespace ft
