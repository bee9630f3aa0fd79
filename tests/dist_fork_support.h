// Multi-process test harness for the communicator: each rank is a fork()ed child that runs a body
// and _exits with its status, so a crashing or killed rank cannot take the test binary with it.
#pragma once
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <thread>
#include <vector>

#include "core/error.h"
#include "dist/communicator.h"

namespace ft::dist::test {

constexpr int kChildFailed = 99;  // an unexpected exception or a wrong result in a child
constexpr int kChildHung = -1;    // the harness had to kill the child

// A port that was free a moment ago (bind port 0, read it back, close).
inline int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

inline LaunchInfo local_launch(int rank, int world_size, int port) {
  LaunchInfo launch;
  launch.rank = rank;
  launch.world_size = world_size;
  launch.coordinator_host = "127.0.0.1";
  launch.coordinator_port = port;
  launch.source = "test";
  return launch;
}

// Runs body(rank) in `world_size` children; returns each child's exit code, 128 + signal when it
// was killed, or kChildHung when it was still running at `limit` (then it is killed). An ft::Error
// in a child exits with its exit code, any other exception with kChildFailed.
inline std::vector<int> run_ranks(int world_size, const std::function<int(int rank)>& body,
                                  std::chrono::seconds limit = std::chrono::seconds(20)) {
  std::fflush(nullptr);
  std::vector<pid_t> pids;
  for (int rank = 0; rank < world_size; ++rank) {
    pid_t pid = fork();
    if (pid == 0) {
      int status = kChildFailed;
      try {
        status = body(rank);
      } catch (const Error& e) {
        std::fprintf(stderr, "[rank %d] %s\n", rank, e.what());
        status = e.exit_code();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "[rank %d] unexpected: %s\n", rank, e.what());
      }
      std::fflush(nullptr);
      _exit(status);
    }
    pids.push_back(pid);
  }
  std::vector<int> results(pids.size(), kChildHung);
  std::vector<bool> done(pids.size(), false);
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (size_t finished = 0; finished < pids.size();) {
    for (size_t i = 0; i < pids.size(); ++i) {
      int status = 0;
      if (done[i] || waitpid(pids[i], &status, WNOHANG) != pids[i]) continue;
      done[i] = true;
      ++finished;
      results[i] = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (std::chrono::steady_clock::now() > deadline) {
      for (size_t i = 0; i < pids.size(); ++i) {
        if (done[i]) continue;
        kill(pids[i], SIGKILL);
        waitpid(pids[i], nullptr, 0);
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return results;
}

}  // namespace ft::dist::test
