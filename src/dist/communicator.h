// Collective communication between the ranks of a data-parallel run, and where a rank learns its
// place in the job (the launcher's environment). World size 1 is a trivial communicator with no
// sockets; larger worlds use gloo over TCP with a rendezvous store served by rank 0.
//
// Failure contract: a dead, hung or unreachable peer makes every collective (and connect) throw
// ft::Error with exit code kExitRetryable within about the timeout, so the launcher restarts the
// job and it resumes from the newest checkpoint. Bad launch variables are ft::Error kExitUsage.
// Collectives must be called by every rank in the same order with the same sizes.
#pragma once
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace ft::dist {

struct LaunchInfo {
  int rank = 0, world_size = 1;
  std::string coordinator_host;  // "" when world_size == 1
  int coordinator_port = 29500;
  std::string source;  // which contract matched, for the log: "RANK/WORLD_SIZE", ...
};

// Looks up one environment variable; nullopt when unset. Injectable so tests need no real env.
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;

// The process environment; "HOSTNAME" falls back to gethostname() when the variable is unset.
std::optional<std::string> process_env(std::string_view name);

// Reads the launch contract in this order (first that is present wins):
//   RANK/WORLD_SIZE/MASTER_ADDR/MASTER_PORT (PyTorchJob with a Master replica);
//   PET_NODE_RANK/PET_NNODES/PET_MASTER_ADDR/PET_MASTER_PORT (Kubeflow Trainer v2);
//   JOB_COMPLETION_INDEX with a world size from PET_NNODES or WORLD_SIZE (Indexed Job; coordinator
//     from MASTER_ADDR, PET_MASTER_ADDR or PET_RDZV_ENDPOINT);
//   HOSTNAME's ordinal suffix ("job-worker-3" → 3) with PET_NNODES and PET_RDZV_ENDPOINT's host
//     (worker-only PyTorchJob);
//   nothing set → one process.
// Inconsistent or malformed values throw ft::Error (kExitUsage) naming the variables.
LaunchInfo detect_launch(const EnvLookup& getenv = process_env);

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  // In-place sums across ranks; every collective throws ft::Error with kExitRetryable when a peer
  // dies or the timeout passes, with a message naming the peer/operation.
  virtual void all_reduce_sum(std::span<float> data) = 0;
  virtual void all_reduce_sum(std::span<double> data) = 0;
  // Copies root's bytes into every other rank's `data` (same size on every rank).
  virtual void broadcast(std::span<std::byte> data, int root) = 0;
  virtual void barrier() = 0;
};

// world_size 1 → a trivial communicator (no sockets); else gloo over TCP with rendezvous at the
// coordinator, retrying the connection until `timeout` (DNS and pod start lag are normal). The
// same `timeout` bounds every later collective.
std::unique_ptr<Communicator> connect(const LaunchInfo& launch, std::chrono::milliseconds timeout);

}  // namespace ft::dist
