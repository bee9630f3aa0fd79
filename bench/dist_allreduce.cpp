// All-reduce time against message size for the gloo communicator.
//   bench_dist_allreduce [procs=2] [max_mib=256]
// Without a launch environment it forks `procs` ranks on 127.0.0.1 (what one machine measures:
// memory copies and loopback TCP); with RANK/WORLD_SIZE/MASTER_ADDR (or any contract
// detect_launch reads) set on several hosts, each host runs one rank of the same sweep.
// Rank 0 prints one row per size: median seconds, algorithm bandwidth (bytes / time) and bus
// bandwidth (2(n-1)/n · bytes / time, the per-link traffic of a ring).
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "core/error.h"
#include "dist/communicator.h"

namespace {

using ft::dist::Communicator;
using Clock = std::chrono::steady_clock;

double median_seconds(Communicator& comm, std::vector<float>& data, int reps) {
  std::vector<double> times;
  for (int r = 0; r < reps; ++r) {
    comm.barrier();
    auto start = Clock::now();
    comm.all_reduce_sum(data);
    times.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

void sweep(const ft::dist::LaunchInfo& launch, size_t max_bytes) {
  auto comm = ft::dist::connect(launch, std::chrono::seconds(60));
  int n = comm->world_size();
  if (comm->rank() == 0)
    std::printf("%d processes (%s)\n%12s %12s %14s %14s\n", n, launch.source.c_str(), "bytes", "seconds",
                "algbw GB/s", "busbw GB/s");
  for (size_t bytes = 4096; bytes <= max_bytes; bytes *= 4) {
    std::vector<float> data(bytes / sizeof(float), 1.0f);
    int reps = bytes <= (1u << 20) ? 50 : bytes <= (16u << 20) ? 10 : 3;
    double t = median_seconds(*comm, data, reps);
    if (comm->rank() == 0)
      std::printf("%12zu %12.6f %14.3f %14.3f\n", bytes, t, bytes / t / 1e9, 2.0 * (n - 1) / n * bytes / t / 1e9);
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
  try {
    ft::dist::LaunchInfo launch = ft::dist::detect_launch();
    if (launch.world_size > 1) {
      sweep(launch, max_bytes);
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
          sweep(child, max_bytes);
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
