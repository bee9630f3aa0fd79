// All-reduces float buffers on a background thread, in the order they were submitted, so gradient
// communication overlaps the backward pass that is still computing other gradients. The buffers
// must stay untouched until wait() returns. While work is pending, no other thread may call the
// communicator (collectives are not thread-safe and every rank must issue them in the same order).
// A failed collective (a dead or silent peer: ft::Error, retryable) skips the rest of the queue and
// is rethrown by wait(); the destructor waits for the queue to drain without throwing.
#pragma once
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <span>
#include <thread>

#include "dist/communicator.h"

namespace ft::dist {

class AsyncAllReduce {
 public:
  explicit AsyncAllReduce(Communicator& comm);
  ~AsyncAllReduce();
  AsyncAllReduce(const AsyncAllReduce&) = delete;
  AsyncAllReduce& operator=(const AsyncAllReduce&) = delete;

  void submit(std::span<float> data);
  // Blocks until every submitted buffer is summed across ranks; rethrows the first failure.
  void wait();

 private:
  void run();

  Communicator& comm_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::span<float>> queue_;
  bool busy_ = false, stopping_ = false;
  std::exception_ptr failure_;
  std::thread worker_;
};

}  // namespace ft::dist
