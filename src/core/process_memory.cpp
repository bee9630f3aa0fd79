#include "core/process_memory.h"

#include <cstdio>
#include <cstring>

namespace ft {
namespace {

// The "<field>:   N kB" line of /proc/self/status, in bytes.
int64_t status_kib_field(const char* field) {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  long long kib = 0;
  const size_t n = std::strlen(field);
  while (std::fgets(line, sizeof line, f))
    if (std::strncmp(line, field, n) == 0 && line[n] == ':' && std::sscanf(line + n + 1, "%lld", &kib) == 1) break;
  std::fclose(f);
  return static_cast<int64_t>(kib) * 1024;
}

}  // namespace

int64_t resident_bytes() { return status_kib_field("VmRSS"); }
int64_t peak_resident_bytes() { return status_kib_field("VmHWM"); }

}  // namespace ft
