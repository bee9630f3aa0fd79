// connect(): picks the communicator for the launch — no sockets for one process, gloo otherwise.
#include "core/error.h"
#include "dist/communicator.h"
#include "dist/local_communicator.h"

namespace ft::dist {

void LocalCommunicator::broadcast(std::span<std::byte>, int root) {
  if (root != 0) fail_usage("broadcast root " + std::to_string(root) + " does not exist in a 1-process run");
}

std::unique_ptr<Communicator> connect(const LaunchInfo& launch, std::chrono::milliseconds) {
  if (launch.world_size == 1) return std::make_unique<LocalCommunicator>();
  fail_usage("multi-process runs (world size " + std::to_string(launch.world_size) +
             ", from " + launch.source + ") need the gloo backend, which this build does not have yet");
}

}  // namespace ft::dist
