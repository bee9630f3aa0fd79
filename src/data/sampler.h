// Which sequences form each batch, per epoch and per data-parallel rank. The epoch's global order
// depends only on (seed, epoch) (and, with group_by_length, on batch_size * accumulation, never on
// the world size), so a run resumed from a saved position replays exactly, even with another number
// of ranks. Each global batch of batch_size * world_size sequences is dealt to ranks round-robin:
// ranks are disjoint, their union is the epoch, and every rank sees the same number of batches (in
// the last batch of an epoch a rank may get fewer sequences, possibly none).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ft::data {

struct SamplerOptions {
  uint64_t seed = 42;
  size_t batch_size = 1;  // per rank
  bool shuffle = true;
  // HF's group_by_length: shuffle, then sort each run of 50 * batch_size * accumulation sequences
  // by length (longest first) so batches hold similar lengths and padding stays small. As in the
  // Transformers Trainer the run length does not involve the world size.
  bool group_by_length = false;
  size_t accumulation = 1;  // gradient accumulation steps (only sizes the group_by_length runs)
  int rank = 0;
  int world_size = 1;
};

class BatchSampler {
 public:
  // lengths[i] = length of sequence i (used only by group_by_length).
  BatchSampler(std::vector<size_t> lengths, const SamplerOptions& opt);

  size_t batches_per_epoch() const;
  // This rank's sequence indices for batch `index` of `epoch`.
  std::vector<size_t> batch(uint64_t epoch, uint64_t index) const;
  // This rank's share of the global batch that starts at position `first` of the epoch's global
  // order (any position: a resumed run's batches need not align with the checkpointing run's).
  std::vector<size_t> share(uint64_t epoch, size_t first) const;

 private:
  const std::vector<size_t>& epoch_order(uint64_t epoch) const;

  std::vector<size_t> lengths_;
  SamplerOptions opt_;
  mutable uint64_t cached_epoch_ = UINT64_MAX;
  mutable std::vector<size_t> cached_order_;
};

}  // namespace ft::data
