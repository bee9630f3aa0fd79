// The one-process communicator: every collective is the identity, so single-process training runs
// the same code path as a distributed one without sockets.
#pragma once
#include "dist/communicator.h"

namespace ft::dist {

class LocalCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int world_size() const override { return 1; }
  void all_reduce_sum(std::span<float>) override {}
  void all_reduce_sum(std::span<double>) override {}
  void broadcast(std::span<std::byte>, int root) override;
  void barrier() override {}
};

}  // namespace ft::dist
