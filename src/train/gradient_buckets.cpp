#include "train/gradient_buckets.h"

#include <algorithm>
#include <stdexcept>

namespace ft {

GradientBuckets::GradientBuckets(std::span<float> grads, int64_t cap, std::vector<int64_t> layer_offsets,
                                 std::function<void(std::span<float>)> launch)
    : grads_(grads), layer_offsets_(std::move(layer_offsets)), launch_(std::move(launch)) {
  const auto n = static_cast<int64_t>(grads.size());
  if (cap <= 0) throw std::invalid_argument("GradientBuckets: cap must be positive");
  if (!std::is_sorted(layer_offsets_.begin(), layer_offsets_.end()) ||
      (!layer_offsets_.empty() && (layer_offsets_.front() < 0 || layer_offsets_.back() > n)))
    throw std::invalid_argument("GradientBuckets: layer offsets must be non-decreasing within the gradients");
  for (int64_t end = n; end > 0; end -= cap) buckets_.emplace_back(std::max<int64_t>(0, end - cap), end);
}

void GradientBuckets::start_step() { launched_ = 0; }

void GradientBuckets::layer_finished(int layer) {
  if (layer < 0) return launch_from(0);
  if (static_cast<size_t>(layer) < layer_offsets_.size()) launch_from(layer_offsets_[static_cast<size_t>(layer)]);
}

void GradientBuckets::finish() { launch_from(0); }

void GradientBuckets::launch_from(int64_t final_offset) {
  for (; launched_ < buckets_.size() && buckets_[launched_].first >= final_offset; ++launched_) {
    const auto [begin, end] = buckets_[launched_];
    launch_(grads_.subspan(static_cast<size_t>(begin), static_cast<size_t>(end - begin)));
  }
}

}  // namespace ft
