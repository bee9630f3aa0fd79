// AsyncAllReduce: buffers are summed on a background thread in submission order while the caller
// goes on; wait() returns once all are done and rethrows a collective's failure.
#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "core/error.h"
#include "dist/async_all_reduce.h"

namespace ft::dist {
namespace {

// Doubles every value (a two-rank sum of equal buffers), on whichever thread calls it; the first
// call waits for `gate`, and the call numbered `fail_at` throws the retryable error.
class FakeCommunicator final : public Communicator {
 public:
  std::shared_future<void> gate;
  int fail_at = -1;
  std::mutex mutex;
  std::vector<size_t> sizes;
  std::vector<std::thread::id> threads;

  int rank() const override { return 0; }
  int world_size() const override { return 2; }
  void all_reduce_sum(std::span<float> data) override {
    if (gate.valid()) gate.wait();
    std::lock_guard lock(mutex);
    if (static_cast<int>(sizes.size()) == fail_at) {
      sizes.push_back(data.size());
      throw Error(kExitRetryable, "rank 1 died");
    }
    sizes.push_back(data.size());
    threads.push_back(std::this_thread::get_id());
    for (float& x : data) x *= 2;
  }
  void all_reduce_sum(std::span<double>) override { ADD_FAILURE() << "unexpected"; }
  void broadcast(std::span<std::byte>, int) override { ADD_FAILURE() << "unexpected"; }
  void barrier() override { ADD_FAILURE() << "unexpected"; }
};

TEST(AsyncAllReduce, SumsInSubmissionOrderOffTheCallingThread) {
  FakeCommunicator comm;
  std::promise<void> open;
  comm.gate = open.get_future().share();
  std::vector<float> a(5, 1.0f), b(3, 2.0f), c(1, 3.0f);
  AsyncAllReduce reducer(comm);
  reducer.submit(a);
  reducer.submit(b);
  reducer.submit(c);
  {
    std::lock_guard lock(comm.mutex);
    EXPECT_TRUE(comm.sizes.empty()) << "submit() ran the collective itself";
  }
  open.set_value();
  reducer.wait();
  EXPECT_EQ(comm.sizes, (std::vector<size_t>{5, 3, 1}));
  for (std::thread::id id : comm.threads) EXPECT_NE(id, std::this_thread::get_id());
  EXPECT_EQ(a, std::vector<float>(5, 2.0f));
  EXPECT_EQ(b, std::vector<float>(3, 4.0f));
  EXPECT_EQ(c, std::vector<float>(1, 6.0f));
  reducer.submit(c);  // usable for the next step
  reducer.wait();
  EXPECT_EQ(c[0], 12.0f);
}

TEST(AsyncAllReduce, AFailedCollectiveSkipsTheRestAndWaitRethrowsIt) {
  FakeCommunicator comm;
  comm.fail_at = 1;
  std::vector<float> a(2, 1.0f), b(2, 1.0f), c(2, 1.0f);
  AsyncAllReduce reducer(comm);
  reducer.submit(a);
  reducer.submit(b);
  reducer.submit(c);
  try {
    reducer.wait();
    FAIL() << "wait() did not rethrow";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitRetryable);
    EXPECT_STREQ(e.what(), "rank 1 died");
  }
  EXPECT_EQ(comm.sizes.size(), 2u) << "a collective ran after the communicator failed";
  EXPECT_EQ(c, std::vector<float>(2, 1.0f));
}

TEST(AsyncAllReduce, DestroyingWithPendingWorkFinishesItFirst) {
  FakeCommunicator comm;
  std::vector<float> a(4, 1.0f);
  {
    AsyncAllReduce reducer(comm);
    reducer.submit(a);
  }
  EXPECT_EQ(a, std::vector<float>(4, 2.0f));
}

}  // namespace
}  // namespace ft::dist
