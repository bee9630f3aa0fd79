// This process's memory as the kernel counts it (/proc/self/status): resident now (VmRSS) and
// the high-water mark since start (VmHWM), in bytes; 0 where /proc is unavailable.
#pragma once
#include <cstdint>

namespace ft {

int64_t resident_bytes();
int64_t peak_resident_bytes();

}  // namespace ft
