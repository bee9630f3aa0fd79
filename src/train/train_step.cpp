#include "train/train_step.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "kernels/cross_entropy.h"
#include "train/grad_clip.h"

namespace ft {

void shift_labels(std::span<const int> labels, int64_t B, int64_t T, std::vector<int>& targets) {
  if (static_cast<int64_t>(labels.size()) != B * T)
    throw std::invalid_argument("shift_labels: labels must hold B*T entries");
  targets.resize(labels.size());
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t t = 0; t + 1 < T; ++t) targets[b * T + t] = labels[b * T + t + 1];
    targets[b * T + T - 1] = kIgnoreIndex;
  }
}

StepRunner::StepRunner(Model& model, std::span<float> values, std::span<float> grads,
                       const StepOptions& options, std::function<void()> after_update)
    : model_(model),
      grads_(grads),
      after_update_(std::move(after_update)),
      schedule_(options.schedule, options.learning_rate, options.warmup_steps, options.total_steps),
      max_grad_norm_(options.max_grad_norm),
      adamw_({{values.data(), grads.data(), static_cast<int64_t>(values.size())}}, options.adamw) {
  if (values.size() != grads.size())
    throw std::invalid_argument("StepRunner: values and grads differ in size");
}

StepRecord StepRunner::step(std::span<const MicroBatch> micro_batches) {
  StepRecord record;
  for (const MicroBatch& mb : micro_batches) {
    shift_labels(mb.labels, mb.B, mb.T, targets_);
    for (int t : targets_) record.counted += t != kIgnoreIndex;
  }
  std::fill(grads_.begin(), grads_.end(), 0.0f);
  double loss_sum = 0;
  if (record.counted > 0) {
    const float grad_scale = 1.0f / static_cast<float>(record.counted);
    for (const MicroBatch& mb : micro_batches) {
      shift_labels(mb.labels, mb.B, mb.T, targets_);
      loss_sum += model_.forward_backward(mb.ids, targets_, mb.B, mb.T, grad_scale).sum;
    }
  }
  record.loss = record.counted ? loss_sum / static_cast<double>(record.counted) : 0.0;
  const std::span<float> grads[] = {grads_};
  record.grad_norm = clip_grad_norm(grads, max_grad_norm_);
  record.lr = schedule_.lr(adamw_.steps());
  adamw_.step(record.lr);
  if (after_update_) after_update_();
  return record;
}

}  // namespace ft
