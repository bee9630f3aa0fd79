// Failure handling of the gloo communicator with forked ranks and a 2 s timeout: a rank killed
// mid-collective or hung makes the others fail with the retryable exit code (instead of hanging);
// rendezvous retries while the coordinator starts late and names a rank that never arrives.
// Only "finished with the error" is asserted, never timing.
#include <gtest/gtest.h>

#include <cstring>

#include "dist_fork_support.h"

namespace ft::dist {
namespace {

using namespace std::chrono_literals;
using test::local_launch;
using test::run_ranks;

constexpr auto kTimeout = 2000ms;

// Loops all-reduces until the communicator fails; returns its exit code (kChildFailed if the
// failure is not an ft::Error).
int reduce_until_failure(Communicator& comm) {
  std::vector<float> data(1 << 16, 1.0f);
  for (;;) {
    try {
      comm.all_reduce_sum(data);
    } catch (const Error& e) {
      std::string message = e.what();
      bool clear = message.find("all_reduce_sum") != std::string::npos &&
                   message.find("restart the job") != std::string::npos;
      return clear ? e.exit_code() : test::kChildFailed;
    }
  }
}

TEST(DistFailure, RankKilledMidCollectiveMakesTheOthersExitRetryable) {
  int port = test::free_port();
  auto results = run_ranks(3, [&](int rank) {
    auto comm = connect(local_launch(rank, 3, port), kTimeout);
    if (rank == 2) {
      std::thread([] {
        std::this_thread::sleep_for(50ms);
        raise(SIGKILL);
      }).detach();
    }
    return reduce_until_failure(*comm);
  });
  EXPECT_EQ(results, (std::vector<int>{kExitRetryable, kExitRetryable, 128 + SIGKILL}));
}

TEST(DistFailure, HungRankMakesTheOthersTimeOut) {
  int port = test::free_port();
  auto results = run_ranks(
      3,
      [&](int rank) {
        auto comm = connect(local_launch(rank, 3, port), kTimeout);
        if (rank == 2) {
          std::this_thread::sleep_for(6s);  // alive but silent, until the harness kills it
          return 0;
        }
        return reduce_until_failure(*comm);
      },
      4s);
  EXPECT_EQ(results, (std::vector<int>{kExitRetryable, kExitRetryable, test::kChildHung}));
}

TEST(DistFailure, LaterCallsAfterAFailureFailAtOnce) {
  int port = test::free_port();
  auto results = run_ranks(2, [&](int rank) {
    auto comm = connect(local_launch(rank, 2, port), kTimeout);
    if (rank == 1) _exit(0);
    int first = reduce_until_failure(*comm);
    try {
      comm->barrier();
    } catch (const Error& e) {
      return first == kExitRetryable && e.exit_code() == kExitRetryable ? 0 : test::kChildFailed;
    }
    return test::kChildFailed;
  });
  EXPECT_EQ(results, (std::vector<int>{0, 0}));
}

TEST(DistRendezvous, PeersRetryWhileTheCoordinatorStartsLate) {
  int port = test::free_port();
  auto results = run_ranks(3, [&](int rank) {
    if (rank == 0) std::this_thread::sleep_for(700ms);
    auto comm = connect(local_launch(rank, 3, port), 5s);
    std::vector<double> one{1.0};
    comm->all_reduce_sum(one);
    return one[0] == 3.0 ? 0 : test::kChildFailed;
  });
  EXPECT_EQ(results, std::vector<int>(3, 0));
}

TEST(DistRendezvous, RankThatNeverArrivesIsNamed) {
  int port = test::free_port();
  auto results = run_ranks(1, [&](int) {
    try {
      connect(local_launch(0, 2, port), 1000ms);
    } catch (const Error& e) {
      bool named = std::strstr(e.what(), "rank 1") != nullptr;
      return named ? e.exit_code() : test::kChildFailed;
    }
    return 0;
  });
  EXPECT_EQ(results, std::vector<int>{kExitRetryable});
}

TEST(DistRendezvous, MissingCoordinatorIsRetryable) {
  int port = test::free_port();
  auto results = run_ranks(1, [&](int) {
    connect(local_launch(1, 2, port), 500ms);
    return 0;
  });
  EXPECT_EQ(results, std::vector<int>{kExitRetryable});
}

TEST(DistRendezvous, CoordinatorPortInUseIsAUsageError) {
  int port = test::free_port();
  int blocker = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ASSERT_EQ(bind(blocker, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(blocker, 1), 0);
  auto results = run_ranks(1, [&](int) {
    connect(local_launch(0, 2, port), 500ms);
    return 0;
  });
  close(blocker);
  EXPECT_EQ(results, std::vector<int>{kExitUsage});
}

}  // namespace
}  // namespace ft::dist
