// gloo-backed collectives. Ring all-reduce: every element's final sum is computed on one rank and
// copied to the others, so all ranks hold bitwise identical results (parameters never drift).
// Any gloo failure poisons the communicator: its peers are in an unknown state, so every later
// call rethrows the first error instead of hanging.
#include "dist/gloo_communicator.h"

#include <gloo/allreduce.h>
#include <gloo/barrier.h>
#include <gloo/broadcast.h>
#include <gloo/math.h>
#include <gloo/rendezvous/context.h>
#include <gloo/transport/tcp/device.h>

#include <csignal>
#include <functional>
#include <optional>

#include "core/error.h"
#include "dist/tcp_store.h"

namespace ft::dist {
namespace {

std::string seconds_text(std::chrono::milliseconds t) {
  return std::to_string(t.count() / 1000) + "." + std::to_string(t.count() % 1000 / 100) + " s";
}

class GlooCommunicator final : public Communicator {
 public:
  GlooCommunicator(const LaunchInfo& launch, std::chrono::milliseconds timeout)
      : rank_(launch.rank), world_size_(launch.world_size), timeout_(timeout) {
    std::optional<TcpStoreServer> server;
    if (rank_ == 0) server.emplace(launch.coordinator_port);
    TcpStore store(launch.coordinator_host, launch.coordinator_port, timeout);
    guarded("connecting to the other ranks", [&] {
      gloo::transport::tcp::attr attr(store.local_address().c_str());
      auto device = gloo::transport::tcp::CreateDevice(attr);
      auto context = std::make_shared<gloo::rendezvous::Context>(rank_, world_size_);
      context->setTimeout(timeout);
      context->connectFullMesh(store, device);
      context_ = std::move(context);
    });
    // Peers may still be reading the store while this rank has finished; rank 0 keeps serving
    // until everyone is through.
    barrier();
  }

  int rank() const override { return rank_; }
  int world_size() const override { return world_size_; }
  void all_reduce_sum(std::span<float> data) override { reduce(data, "all_reduce_sum of floats"); }
  void all_reduce_sum(std::span<double> data) override { reduce(data, "all_reduce_sum of doubles"); }

  void broadcast(std::span<std::byte> data, int root) override {
    if (root < 0 || root >= world_size_)
      fail_usage("broadcast root " + std::to_string(root) + " is not a rank of this " +
                 std::to_string(world_size_) + "-process run");
    if (data.empty()) return;
    guarded("broadcast of " + std::to_string(data.size()) + " bytes from rank " + std::to_string(root), [&] {
      gloo::BroadcastOptions opts(context_);
      opts.setOutput(reinterpret_cast<uint8_t*>(data.data()), data.size());
      opts.setRoot(root);
      opts.setTimeout(timeout_);
      gloo::broadcast(opts);
    });
  }

  void barrier() override {
    guarded("barrier", [&] {
      gloo::BarrierOptions opts(context_);
      opts.setTimeout(timeout_);
      gloo::barrier(opts);
    });
  }

 private:
  template <typename T>
  void reduce(std::span<T> data, const std::string& what) {
    if (data.empty()) return;
    guarded(what + " (" + std::to_string(data.size()) + " elements)", [&] {
      gloo::AllreduceOptions opts(context_);
      opts.setOutput(data.data(), data.size());
      opts.setReduceFunction(
          static_cast<void (*)(void*, const void*, const void*, size_t)>(&gloo::sum<T>));
      opts.setTimeout(timeout_);
      gloo::allreduce(opts);
    });
  }

  // Runs one gloo operation, turning any failure into the retryable ft::Error (and remembering it).
  void guarded(const std::string& operation, const std::function<void()>& op) {
    if (failure_) throw *failure_;
    try {
      op();
      return;
    } catch (const Error& e) {
      failure_ = Error(e.exit_code(), "rank " + std::to_string(rank_) + ": " + e.what());
    } catch (const std::exception& e) {
      failure_ = Error(kExitRetryable,
                       "rank " + std::to_string(rank_) + " of " + std::to_string(world_size_) + ": " +
                           operation + " failed: a peer died or did not answer within " +
                           seconds_text(timeout_) + " (gloo: " + e.what() +
                           "); restart the job: it resumes from the newest checkpoint");
    }
    throw *failure_;
  }

  int rank_, world_size_;
  std::chrono::milliseconds timeout_;
  std::shared_ptr<gloo::Context> context_;
  std::optional<Error> failure_;
};

}  // namespace

std::unique_ptr<Communicator> connect_gloo(const LaunchInfo& launch, std::chrono::milliseconds timeout) {
  std::signal(SIGPIPE, SIG_IGN);
  return std::make_unique<GlooCommunicator>(launch, timeout);
}

}  // namespace ft::dist
