// All-reduce time against message size for the gloo communicator.
//   bench_dist_allreduce [procs=2] [max_mib=256] [bucket_mib=0]
// Without a launch environment it forks `procs` ranks on 127.0.0.1 (what one machine measures:
// memory copies and loopback TCP); with RANK/WORLD_SIZE/MASTER_ADDR (or any contract
// detect_launch reads) set on several hosts, each host runs one rank of the same sweep.
// Rank 0 prints one row per size: median seconds, algorithm bandwidth (bytes / time) and bus
// bandwidth (2(n-1)/n · bytes / time, the per-link traffic of a ring). With bucket_mib > 0 it also
// times the same buffer reduced as consecutive buckets of that size (what a bucketed gradient
// all-reduce costs when nothing overlaps it).
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"
#include "dist/communicator.h"

namespace {

using ft::dist::Communicator;
using Clock = std::chrono::steady_clock;

double median_seconds(Communicator& comm, std::vector<float>& data, size_t bucket_elems, int reps) {
  std::vector<double> times;
  for (int r = 0; r < reps; ++r) {
    comm.barrier();
    auto start = Clock::now();
    for (size_t first = 0; first < data.size(); first += bucket_elems)
      comm.all_reduce_sum(std::span(data).subspan(first, std::min(bucket_elems, data.size() - first)));
    times.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

std::string load_average() {
  std::FILE* f = std::fopen("/proc/loadavg", "r");
  char text[32] = "?";
  if (f) {
    if (!std::fgets(text, sizeof text, f)) text[0] = 0;
    std::fclose(f);
  }
  std::string s(text);
  return s.substr(0, s.find(' '));
}

void sweep(const ft::dist::LaunchInfo& launch, size_t max_bytes, size_t bucket_bytes) {
  auto comm = ft::dist::connect(launch, std::chrono::seconds(60));
  int n = comm->world_size();
  if (comm->rank() == 0)
    std::printf("%d processes (%s), load %s\n%12s %12s %14s %14s %16s\n", n, launch.source.c_str(),
                load_average().c_str(), "bytes", "seconds", "algbw GB/s", "busbw GB/s", "bucketed seconds");
  for (size_t bytes = 4096; bytes <= max_bytes; bytes *= 4) {
    std::vector<float> data(bytes / sizeof(float), 1.0f);
    int reps = bytes <= (1u << 20) ? 50 : bytes <= (16u << 20) ? 10 : 3;
    double t = median_seconds(*comm, data, data.size(), reps);
    double bucketed = bucket_bytes ? median_seconds(*comm, data, bucket_bytes / sizeof(float), reps) : 0;
    if (comm->rank() == 0)
      std::printf("%12zu %12.6f %14.3f %14.3f %16.6f\n", bytes, t, bytes / t / 1e9,
                  2.0 * (n - 1) / n * bytes / t / 1e9, bucketed);
  }
}

int free_port() {
  // The coordinator's port for the forked ranks: the pid spreads concurrent runs apart.
  return 20000 + static_cast<int>(getpid() % 20000);
}

}  // namespace

int main(int argc, char** argv) {
  int procs = argc > 1 ? std::atoi(argv[1]) : 2;
  size_t max_bytes = (argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 256) << 20;
  size_t bucket_bytes = (argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 0) << 20;
  try {
    ft::dist::LaunchInfo launch = ft::dist::detect_launch();
    if (launch.world_size > 1) {
      sweep(launch, max_bytes, bucket_bytes);
      return 0;
    }
    if (procs < 2) {
      std::fprintf(stderr, "procs must be at least 2\n");
      return 1;
    }
    int port = free_port();
    std::fflush(nullptr);
    std::vector<pid_t> children;
    for (int rank = 0; rank < procs; ++rank) {
      pid_t pid = fork();
      if (pid == 0) {
        ft::dist::LaunchInfo child{rank, procs, "127.0.0.1", port, "forked on 127.0.0.1"};
        try {
          sweep(child, max_bytes, bucket_bytes);
        } catch (const ft::Error& e) {
          std::fprintf(stderr, "rank %d: %s\n", rank, e.what());
          _exit(e.exit_code());
        }
        std::fflush(nullptr);
        _exit(0);
      }
      children.push_back(pid);
    }
    int failures = 0;
    for (pid_t pid : children) {
      int status = 0;
      waitpid(pid, &status, 0);
      failures += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    return failures ? 1 : 0;
  } catch (const ft::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return e.exit_code();
  }
}
