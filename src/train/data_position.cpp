#include "train/data_position.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace ft {

namespace {
int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
}  // namespace

StepPositions::StepPositions(int64_t sequences, int64_t micro_batch, int64_t accumulation,
                             int64_t anchor_step, DataPosition anchor)
    : sequences_(sequences), micro_batch_(micro_batch), accumulation_(accumulation), anchor_step_(anchor_step),
      anchor_(anchor) {
  if (sequences < 0 || micro_batch < 1 || accumulation < 1 || anchor_step < 0 || anchor.epoch < 0 ||
      anchor.consumed < 0 || anchor.consumed > sequences)
    throw std::invalid_argument("StepPositions: sizes must be positive and the anchor inside its epoch");
  if (sequences > 0 && anchor_.consumed == sequences) anchor_ = {anchor_.epoch + 1, 0};
  micro_batches_per_epoch_ = ceil_div(sequences_, micro_batch_);
  steps_per_epoch_ = std::max<int64_t>(1, ceil_div(micro_batches_per_epoch_, accumulation_));
  anchor_epoch_steps_ = steps_to_consume(sequences_ - anchor_.consumed);
}

int64_t StepPositions::steps_to_consume(int64_t sequences) const {
  return sequences > 0 ? ceil_div(ceil_div(sequences, micro_batch_), accumulation_) : 0;
}

DataPosition StepPositions::before(int64_t step) const {
  if (step <= anchor_step_) return anchor_;
  int64_t k = step - anchor_step_;
  const int64_t per_step = accumulation_ * micro_batch_;
  if (k < anchor_epoch_steps_) return {anchor_.epoch, anchor_.consumed + k * per_step};
  k -= anchor_epoch_steps_;
  return {anchor_.epoch + 1 + k / steps_per_epoch_, (k % steps_per_epoch_) * per_step};
}

std::vector<int64_t> StepPositions::micro_batch_starts(int64_t step) const {
  const DataPosition p = before(step);
  std::vector<int64_t> starts;
  for (int64_t i = 0; i < accumulation_ && p.consumed + i * micro_batch_ < sequences_; ++i)
    starts.push_back(p.consumed + i * micro_batch_);
  return starts;
}

double StepPositions::epoch_progress(int64_t steps_done) const {
  const DataPosition p = before(steps_done);
  if (micro_batches_per_epoch_ == 0) return double(p.epoch);
  return double(p.epoch) + double(p.consumed) / double(micro_batches_per_epoch_ * micro_batch_);
}

int64_t StepPositions::total_steps_for_epochs(double epochs) const {
  // A fresh run stops after T steps: T / spe whole epochs, then T % spe steps into the next.
  const int64_t fresh =
      std::max<int64_t>(1, static_cast<int64_t>(std::ceil(epochs * double(steps_per_epoch_) - 1e-9)));
  const DataPosition end{fresh / steps_per_epoch_, (fresh % steps_per_epoch_) * accumulation_ * micro_batch_};
  if (anchor_.epoch > end.epoch || (anchor_.epoch == end.epoch && anchor_.consumed >= end.consumed))
    return anchor_step_;
  if (anchor_.epoch == end.epoch) return anchor_step_ + steps_to_consume(end.consumed - anchor_.consumed);
  return anchor_step_ + anchor_epoch_steps_ + (end.epoch - anchor_.epoch - 1) * steps_per_epoch_ +
         fresh % steps_per_epoch_;
}

}  // namespace ft
