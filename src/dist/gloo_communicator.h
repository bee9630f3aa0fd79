// The multi-process communicator: gloo's TCP transport, a full mesh built through the rendezvous
// store that rank 0 serves. Kept behind this factory so gloo's headers stay out of the interface.
#pragma once
#include <chrono>
#include <memory>

#include "dist/communicator.h"

namespace ft::dist {

// Requires launch.world_size > 1 and a coordinator host. `timeout` bounds the rendezvous and
// every collective. Ignores SIGPIPE process-wide: gloo writes with writev, and a dead peer must
// surface as an error, not kill this process.
std::unique_ptr<Communicator> connect_gloo(const LaunchInfo& launch, std::chrono::milliseconds timeout);

}  // namespace ft::dist
