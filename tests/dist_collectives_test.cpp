// The gloo communicator on 127.0.0.1 with 2 and 4 forked ranks: sums of floats and doubles at
// sizes 1, odd and ~1M, bitwise identical results on every rank, broadcast from any root, barrier;
// and the one-process communicator.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "dist_fork_support.h"

namespace ft::dist {
namespace {

using namespace std::chrono_literals;
using test::local_launch;
using test::run_ranks;

// Values that sum exactly in any order, so the check does not depend on the reduction order.
template <typename T>
int check_exact_sum(Communicator& comm, size_t n, int error_code) {
  int rank = comm.rank(), world = comm.world_size();
  std::vector<T> data(n);
  for (size_t i = 0; i < n; ++i) data[i] = static_cast<T>((rank + 1) * (i % 13)) * T(0.25);
  comm.all_reduce_sum(data);
  T ranks_sum = static_cast<T>(world * (world + 1) / 2);
  for (size_t i = 0; i < n; ++i)
    if (data[i] != ranks_sum * static_cast<T>(i % 13) * T(0.25)) return error_code;
  return 0;
}

int exercise_collectives(int rank, int world, int port) {
  auto comm = connect(local_launch(rank, world, port), 5s);
  if (comm->rank() != rank || comm->world_size() != world) return 10;
  for (size_t n : {size_t{1}, size_t{1001}, size_t{1} << 20}) {
    if (int bad = check_exact_sum<float>(*comm, n, 11)) return bad;
    if (int bad = check_exact_sum<double>(*comm, n, 12)) return bad;
  }
  // Inexact sums must still come out bitwise equal everywhere, or replicas drift apart.
  std::vector<float> noisy(4097);
  for (size_t i = 0; i < noisy.size(); ++i) noisy[i] = std::sin(static_cast<float>(rank * 7919 + i)) * 1e3f;
  comm->all_reduce_sum(noisy);
  std::vector<float> rank0 = noisy;
  comm->broadcast(std::as_writable_bytes(std::span(rank0)), 0);
  if (std::memcmp(rank0.data(), noisy.data(), noisy.size() * sizeof(float)) != 0) return 13;

  std::vector<int> payload(333, rank == world - 1 ? 7 : rank);
  comm->broadcast(std::as_writable_bytes(std::span(payload)), world - 1);
  for (int v : payload)
    if (v != 7) return 14;
  comm->barrier();
  return 0;
}

TEST(DistCollectives, TwoRanks) {
  int port = test::free_port();
  EXPECT_EQ(run_ranks(2, [&](int rank) { return exercise_collectives(rank, 2, port); }), std::vector<int>(2, 0));
}

TEST(DistCollectives, FourRanks) {
  int port = test::free_port();
  EXPECT_EQ(run_ranks(4, [&](int rank) { return exercise_collectives(rank, 4, port); }), std::vector<int>(4, 0));
}

TEST(DistCollectives, OneProcessNeedsNoSockets) {
  auto comm = connect(LaunchInfo{}, 1s);
  EXPECT_EQ(comm->rank(), 0);
  EXPECT_EQ(comm->world_size(), 1);
  std::vector<double> data{1.5, -2.0};
  comm->all_reduce_sum(data);
  EXPECT_EQ(data, (std::vector<double>{1.5, -2.0}));
  std::vector<std::byte> bytes(3, std::byte{9});
  comm->broadcast(bytes, 0);
  EXPECT_EQ(bytes, std::vector<std::byte>(3, std::byte{9}));
  comm->barrier();
  EXPECT_THROW(comm->broadcast(bytes, 1), Error);
}

TEST(DistCollectives, MultiProcessWithoutCoordinatorIsAUsageError) {
  LaunchInfo launch = local_launch(1, 2, 29500);
  launch.coordinator_host.clear();
  try {
    connect(launch, 1s);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitUsage);
  }
}

}  // namespace
}  // namespace ft::dist
