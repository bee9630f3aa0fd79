// One rank of the multi-host test: tests/dist_netns.sh starts two copies of the test binary in
// separate network namespaces joined by a veth pair, with the launch contract in the environment,
// so rendezvous and collectives really cross interfaces. Without FT_DIST_NETNS_MODE it skips.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "core/error.h"
#include "dist/communicator.h"

namespace ft::dist {
namespace {

using namespace std::chrono_literals;

std::string netns_mode() {
  const char* mode = std::getenv("FT_DIST_NETNS_MODE");
  return mode ? mode : "";
}

TEST(DistNetns, CollectivesAcrossHosts) {
  if (netns_mode() != "collectives") GTEST_SKIP() << "run by tests/dist_netns.sh (ctest -L netns)";
  auto comm = connect(detect_launch(), 20s);
  ASSERT_EQ(comm->world_size(), 2);
  std::vector<float> data(1 << 20, static_cast<float>(comm->rank() + 1));
  comm->all_reduce_sum(data);
  for (float v : data) ASSERT_EQ(v, 3.0f);
  std::vector<std::byte> bytes(1001, std::byte(comm->rank() == 1 ? 5 : 0));
  comm->broadcast(bytes, 1);
  EXPECT_EQ(bytes, std::vector<std::byte>(1001, std::byte{5}));
  comm->barrier();
}

// The script takes this rank's link down mid-run: no FIN or RST ever arrives, so only the
// timeout can end the collective.
TEST(DistNetns, LinkLossIsRetryable) {
  if (netns_mode() != "partition") GTEST_SKIP() << "run by tests/dist_netns.sh (ctest -L netns)";
  try {
    auto comm = connect(detect_launch(), 3s);
    std::vector<float> data(1 << 16, 1.0f);
    for (;;) comm->all_reduce_sum(data);
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitRetryable) << e.what();
  }
}

}  // namespace
}  // namespace ft::dist
