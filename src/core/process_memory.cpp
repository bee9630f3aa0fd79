#include "core/process_memory.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

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

// The first number in `path` ("max" and a missing file read as none).
int64_t file_number(const char* path) {
  std::FILE* f = std::fopen(path, "r");
  if (!f) return 0;
  long long n = 0;
  if (std::fscanf(f, "%lld", &n) != 1) n = 0;
  std::fclose(f);
  return static_cast<int64_t>(n);
}

int64_t meminfo_total() {
  std::FILE* f = std::fopen("/proc/meminfo", "r");
  if (!f) return 0;
  long long kib = 0;
  if (std::fscanf(f, "MemTotal: %lld kB", &kib) != 1) kib = 0;
  std::fclose(f);
  return static_cast<int64_t>(kib) * 1024;
}

}  // namespace

namespace {

// The limit files of this process's memory cgroup (/proc/self/cgroup: "0::/path" for v2,
// "N:memory:/path" for v1) and of the root, which is where a container sees its own.
std::vector<std::string> cgroup_limit_files() {
  std::vector<std::string> files = {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"};
  std::ifstream in("/proc/self/cgroup");
  for (std::string line; std::getline(in, line);) {
    const size_t first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1), path = line.substr(second + 1);
    if (path.empty() || path == "/") continue;
    if (controllers.empty()) files.push_back("/sys/fs/cgroup" + path + "/memory.max");
    else if (controllers == "memory" || controllers.find("memory,") == 0 || controllers.find(",memory") != std::string::npos)
      files.push_back("/sys/fs/cgroup/memory" + path + "/memory.limit_in_bytes");
  }
  return files;
}

}  // namespace

int64_t memory_limit_bytes() {
  int64_t limit = meminfo_total();
  // v1 reports "no limit" as a huge number, which the min leaves alone.
  for (const std::string& path : cgroup_limit_files())
    if (const int64_t cgroup = file_number(path.c_str()); cgroup > 0 && (limit == 0 || cgroup < limit)) limit = cgroup;
  return limit;
}

int64_t resident_bytes() { return status_kib_field("VmRSS"); }
int64_t peak_resident_bytes() { return status_kib_field("VmHWM"); }

}  // namespace ft
