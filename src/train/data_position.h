// Which sequences each optimizer step consumes, counted in sequences of the epoch's global order.
// A DataPosition (epoch, sequences of that epoch consumed) does not depend on how the global batch
// is built, so a run checkpointed with one world size, per-device batch or accumulation and resumed
// with another continues at the same sequence: nothing of the epoch is seen twice or skipped.
// Steps keep counting optimizer steps from the checkpoint (the "anchor"); from there each step
// takes `accumulation` global micro-batches of `micro_batch` (= per-device batch × world size)
// sequences, an epoch ending with a possibly shorter micro-batch and accumulation, as in the
// Transformers Trainer. Without a resume the anchor is step 0 at (0, 0) and this is exactly
// StepPlan's arithmetic (steps_per_epoch, epoch_progress, ceil(epochs × steps_per_epoch)).
#pragma once
#include <cstdint>
#include <vector>

namespace ft {

struct DataPosition {
  int64_t epoch = 0;
  int64_t consumed = 0;  // sequences of the epoch's global order already trained on
  bool operator==(const DataPosition&) const = default;
};

class StepPositions {
 public:
  // `sequences` per epoch; the anchor's `consumed` must lie in [0, sequences] (at `sequences` the
  // anchor is the start of the next epoch). Throws std::invalid_argument otherwise.
  StepPositions(int64_t sequences, int64_t micro_batch, int64_t accumulation, int64_t anchor_step = 0,
                DataPosition anchor = {});

  // Where optimizer step `step` (0-based) starts; steps before the anchor report the anchor.
  DataPosition before(int64_t step) const;
  // The first sequence (in its epoch's order) of each micro-batch of `step`.
  std::vector<int64_t> micro_batch_starts(int64_t step) const;
  // Whether `step` consumes the last sequence of its epoch.
  bool ends_epoch(int64_t step) const { return before(step + 1).epoch != before(step).epoch; }
  // Epochs completed after `steps_done` steps, as a fraction in micro-batches (the logs' "epoch").
  double epoch_progress(int64_t steps_done) const;
  // The step count at which a run of `epochs` epochs ends: where a fresh run with this batching
  // would stop, reached from the anchor (at least the anchor step).
  int64_t total_steps_for_epochs(double epochs) const;
  int64_t steps_per_epoch() const { return steps_per_epoch_; }

 private:
  int64_t steps_to_consume(int64_t sequences) const;  // steps that take `sequences` sequences

  int64_t sequences_, micro_batch_, accumulation_;
  int64_t micro_batches_per_epoch_, steps_per_epoch_;
  int64_t anchor_step_;
  DataPosition anchor_;
  int64_t anchor_epoch_steps_;  // steps left in the anchor's epoch
};

}  // namespace ft
