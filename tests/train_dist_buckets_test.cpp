// Two ranks (child processes, gloo over loopback) training with the gradient all-reduce cut into many small
// buckets, each launched while the backward pass still computes the layers below it, end with the
// same parameters bit for bit as with one all-reduce after the backward pass (a two-rank sum is
// a + b in any order), on both ranks, for LoRA and full fine-tuning, with gradient accumulation.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "core/rng.h"
#include "dist/communicator.h"
#include "dist_fork_support.h"
#include "model/lora.h"
#include "model_test_support.h"
#include "test_support.h"
#include "train/full_finetune.h"
#include "train/train_step.h"

namespace ft {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// Forwards to the real communicator and counts the float all-reduces (the gradient buckets).
class CountingCommunicator final : public dist::Communicator {
 public:
  explicit CountingCommunicator(dist::Communicator& inner) : inner_(inner) {}
  int float_reduces = 0;
  int rank() const override { return inner_.rank(); }
  int world_size() const override { return inner_.world_size(); }
  void all_reduce_sum(std::span<float> d) override {
    ++float_reduces;
    inner_.all_reduce_sum(d);
  }
  void all_reduce_sum(std::span<double> d) override { inner_.all_reduce_sum(d); }
  void broadcast(std::span<std::byte> d, int root) override { inner_.broadcast(d, root); }
  void barrier() override { inner_.barrier(); }

 private:
  dist::Communicator& inner_;
};

constexpr int kSteps = 3;

// One rank's run; writes its final parameters to `out` and returns 0, or a code saying what failed.
int train_rank(int rank, int port, bool full, int64_t bucket_floats, const fs::path& out) {
  auto gloo = dist::connect(dist::test::local_launch(rank, 2, port), 10s);
  CountingCommunicator comm(*gloo);
  Model model = test::synthetic_model(DType::F32);
  std::unique_ptr<LoraWeights> lora;
  std::unique_ptr<FullFinetune> tuned;
  std::span<float> values, grads;
  std::vector<int64_t> offsets;
  if (full) {
    tuned = std::make_unique<FullFinetune>(model);
    values = tuned->values();
    grads = tuned->grads();
    offsets = tuned->layer_offsets();
  } else {
    lora = std::make_unique<LoraWeights>(model.config(), LoraConfig{.rank = 2, .alpha = 4.0, .targets = parse_lora_targets("all-linear")});
    lora->init(3);
    model.attach_lora(lora.get());
    values = lora->values();
    grads = lora->grads();
    offsets = lora->layer_offsets();
  }
  StepOptions options;
  options.learning_rate = 1e-2;
  options.total_steps = kSteps;
  options.bucket_floats = bucket_floats;
  options.layer_offsets = offsets;
  StepRunner runner(model, values, grads, options, full ? std::function<void()>([&] { tuned->sync_model(); }) : nullptr,
                    &comm);
  const int64_t B = 2, T = 5;
  const Rng rng(17, RngStream::kTest);
  for (int s = 0; s < kSteps; ++s) {
    std::vector<std::vector<int>> ids(2);  // two micro-batches: accumulation
    std::vector<MicroBatch> micro(2);
    for (size_t m = 0; m < 2; ++m) {
      for (int64_t i = 0; i < B * T; ++i)
        ids[m].push_back(3 + static_cast<int>(rng.below(90, static_cast<uint64_t>(((s * 2 + rank) * 2 + m) * 100 + i))));
      micro[m].ids = micro[m].labels = ids[m];
      micro[m].B = B;
      micro[m].T = T;
    }
    runner.step(micro);
  }
  const auto n = static_cast<int64_t>(grads.size());
  if (comm.float_reduces != kSteps * ((n + bucket_floats - 1) / bucket_floats)) return 20;
  std::ofstream(out, std::ios::binary).write(reinterpret_cast<const char*>(values.data()),
                                             static_cast<std::streamsize>(values.size_bytes()));
  return 0;
}

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// The ranks are fresh processes (this test binary again, running OneRank), not fork()s: a forked
// child inherits oneDNN primitives made for the parent's OpenMP pool, whose threads it lacks, and
// waits for them forever.
void expect_buckets_change_nothing(bool full) {
  const fs::path root = test::scratch_dir();
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  const int64_t small = full ? 4099 : 97;  // several buckets per layer, not thousands
  std::vector<std::string> results;
  for (int64_t cap : {int64_t{1} << 30, small}) {
    const int port = dist::test::free_port();
    const std::string tag = std::to_string(cap) + "_";
    std::vector<pid_t> pids;
    for (int rank = 0; rank < 2; ++rank) {
      const std::string spec = std::to_string(rank) + ":" + std::to_string(port) + ":" + (full ? "1" : "0") + ":" +
                               std::to_string(cap) + ":" + (root / (tag + std::to_string(rank))).string();
      pids.push_back(test::spawn_program("timeout 120 " + self + " --gtest_filter=TrainDistBuckets.OneRank",
                                         root / (tag + std::to_string(rank) + ".log"),
                                         "OMP_NUM_THREADS=1 FT_BUCKETS_RANK=" + spec));
    }
    for (int rank = 0; rank < 2; ++rank)
      ASSERT_EQ(test::wait_exit_code(pids[static_cast<size_t>(rank)]), 0)
          << "bucket size " << cap << ", rank " << rank << ":\n" << test::read_file(root / (tag + std::to_string(rank) + ".log"));
    for (int rank = 0; rank < 2; ++rank) results.push_back(read_bytes(root / (tag + std::to_string(rank))));
  }
  ASSERT_GT(results[0].size(), static_cast<size_t>(small) * sizeof(float) * 8) << "too few parameters for several buckets";
  for (size_t i = 1; i < results.size(); ++i) EXPECT_TRUE(results[i] == results[0]) << "run " << i << " differs";
}

// One rank of the runs above, described by FT_BUCKETS_RANK = rank:port:full:cap:output.
TEST(TrainDistBuckets, OneRank) {
  const char* spec = std::getenv("FT_BUCKETS_RANK");
  if (!spec) GTEST_SKIP() << "one rank of the other TrainDistBuckets tests, which start it";
  std::vector<std::string> f;
  std::string field;
  for (std::istringstream in(spec); std::getline(in, field, ':');) f.push_back(field);
  ASSERT_EQ(f.size(), 5u) << spec;
  EXPECT_EQ(train_rank(std::stoi(f[0]), std::stoi(f[1]), f[2] == "1", std::stoll(f[3]), f[4]), 0);
}

TEST(TrainDistBuckets, LoraBucketsDuringTheBackwardPassChangeNoBit) { expect_buckets_change_nothing(false); }
TEST(TrainDistBuckets, FullFinetuneBucketsDuringTheBackwardPassChangeNoBit) { expect_buckets_change_nothing(true); }

}  // namespace
}  // namespace ft
