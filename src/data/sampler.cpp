#include "data/sampler.h"

#include <algorithm>
#include <numeric>
#include <string>

#include "core/error.h"
#include "data/split.h"

namespace ft::data {

BatchSampler::BatchSampler(std::vector<size_t> lengths, const SamplerOptions& opt)
    : lengths_(std::move(lengths)), opt_(opt) {
  if (opt_.batch_size == 0) fail_usage("the per-device batch size must be at least 1");
  if (opt_.world_size < 1 || opt_.rank < 0 || opt_.rank >= opt_.world_size)
    fail_usage("rank " + std::to_string(opt_.rank) + " is outside world size " +
               std::to_string(opt_.world_size));
}

size_t BatchSampler::batches_per_epoch() const {
  const size_t global = opt_.batch_size * size_t(opt_.world_size);
  return (lengths_.size() + global - 1) / global;
}

const std::vector<size_t>& BatchSampler::epoch_order(uint64_t epoch) const {
  if (epoch == cached_epoch_) return cached_order_;
  const size_t n = lengths_.size();
  if (opt_.shuffle) {
    // Stream 0 is the train/validation split; epochs use streams 1, 2, ...
    cached_order_ = seeded_permutation(n, opt_.seed, epoch + 1);
  } else {
    cached_order_.resize(n);
    std::iota(cached_order_.begin(), cached_order_.end(), 0);
  }
  if (opt_.group_by_length) {
    const size_t mega = 50 * opt_.batch_size * std::max<size_t>(1, opt_.accumulation);
    for (size_t start = 0; start < n; start += mega) {
      const auto first = cached_order_.begin() + std::ptrdiff_t(start);
      const auto last = cached_order_.begin() + std::ptrdiff_t(std::min(n, start + mega));
      std::stable_sort(first, last, [&](size_t a, size_t b) { return lengths_[a] > lengths_[b]; });
    }
  }
  cached_epoch_ = epoch;
  return cached_order_;
}

std::vector<size_t> BatchSampler::batch(uint64_t epoch, uint64_t index) const {
  return share(epoch, size_t(index) * opt_.batch_size * size_t(opt_.world_size));
}

std::vector<size_t> BatchSampler::share(uint64_t epoch, size_t first) const {
  const std::vector<size_t>& order = epoch_order(epoch);
  const size_t world = size_t(opt_.world_size);
  const size_t end = std::min(order.size(), first + opt_.batch_size * world);
  std::vector<size_t> out;
  for (size_t i = first + size_t(opt_.rank); i < end; i += world) out.push_back(order[i]);
  return out;
}

}  // namespace ft::data
