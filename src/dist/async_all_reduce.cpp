#include "dist/async_all_reduce.h"

#include <utility>

namespace ft::dist {

AsyncAllReduce::AsyncAllReduce(Communicator& comm) : comm_(comm), worker_([this] { run(); }) {}

AsyncAllReduce::~AsyncAllReduce() {
  {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return queue_.empty() && !busy_; });
    stopping_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

void AsyncAllReduce::submit(std::span<float> data) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(data);
  }
  changed_.notify_all();
}

void AsyncAllReduce::wait() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return queue_.empty() && !busy_; });
  if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
}

void AsyncAllReduce::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;
    const std::span<float> data = queue_.front();
    queue_.pop_front();
    if (failure_) {  // the communicator is poisoned: later collectives would only fail too
      changed_.notify_all();
      continue;
    }
    busy_ = true;
    lock.unlock();
    std::exception_ptr failure;
    try {
      comm_.all_reduce_sum(data);
    } catch (...) {
      failure = std::current_exception();
    }
    lock.lock();
    busy_ = false;
    if (failure && !failure_) failure_ = failure;
    changed_.notify_all();
  }
}

}  // namespace ft::dist
