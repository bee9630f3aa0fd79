// connect(): picks the communicator for the launch — no sockets for one process, gloo otherwise.
#include "core/error.h"
#include "dist/communicator.h"
#include "dist/gloo_communicator.h"
#include "dist/local_communicator.h"

namespace ft::dist {

void LocalCommunicator::broadcast(std::span<std::byte>, int root) {
  if (root != 0) fail_usage("broadcast root " + std::to_string(root) + " does not exist in a 1-process run");
}

std::unique_ptr<Communicator> connect(const LaunchInfo& launch, std::chrono::milliseconds timeout) {
  if (launch.world_size == 1) return std::make_unique<LocalCommunicator>();
  if (launch.coordinator_host.empty())
    fail_usage("a " + std::to_string(launch.world_size) + "-process run (from " + launch.source +
               ") needs the coordinator's host; set MASTER_ADDR");
  return connect_gloo(launch, timeout);
}

}  // namespace ft::dist
