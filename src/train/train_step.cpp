#include "train/train_step.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "kernels/cross_entropy.h"
#include "train/grad_clip.h"

namespace ft {
namespace {

// The optimizer's parameters: `values` in order, split where weight decay switches off.
std::vector<AdamW::Param> adamw_params(std::span<float> values, std::span<float> grads,
                                       const std::vector<std::pair<int64_t, int64_t>>& no_decay) {
  std::vector<AdamW::Param> params;
  const auto n = static_cast<int64_t>(values.size());
  int64_t at = 0;
  auto add = [&](int64_t end, bool decay) {
    if (end > at) params.push_back({values.data() + at, grads.data() + at, end - at, decay});
    at = end;
  };
  for (const auto& [offset, count] : no_decay) {
    if (offset < at || count < 0 || offset + count > n)
      throw std::invalid_argument("StepRunner: no_decay ranges must be sorted, disjoint and inside the values");
    add(offset, true);
    add(offset + count, false);
  }
  add(n, true);
  return params;
}

}  // namespace

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
                       const StepOptions& options, std::function<void()> after_update,
                       dist::Communicator* comm)
    : model_(model),
      comm_(comm),
      grads_(grads),
      after_update_(std::move(after_update)),
      schedule_(options.schedule, options.learning_rate, options.warmup_steps, options.total_steps),
      max_grad_norm_(options.max_grad_norm),
      adamw_(adamw_params(values, grads, options.no_decay), options.adamw) {
  if (values.size() != grads.size())
    throw std::invalid_argument("StepRunner: values and grads differ in size");
  if (comm_ && comm_->world_size() > 1) {
    reducer_ = std::make_unique<dist::AsyncAllReduce>(*comm_);
    buckets_ = std::make_unique<GradientBuckets>(grads, options.bucket_floats, options.layer_offsets,
                                                 [this](std::span<float> b) { reducer_->submit(b); });
  }
}

StepRecord StepRunner::step(std::span<const MicroBatch> micro_batches, uint64_t dropout_seed,
                            uint64_t step_index) {
  const bool distributed = comm_ && comm_->world_size() > 1;
  double totals[3] = {0, 0, 0};  // target tokens, input tokens, padded input tokens
  for (const MicroBatch& mb : micro_batches) {
    shift_labels(mb.labels, mb.B, mb.T, targets_);
    for (int t : targets_) totals[0] += t != kIgnoreIndex;
    totals[1] += double(mb.tokens);
    totals[2] += double(mb.B * mb.T);
  }
  if (distributed) comm_->all_reduce_sum(std::span<double>(totals));
  StepRecord record;
  record.counted = static_cast<int64_t>(totals[0]);
  record.tokens = static_cast<int64_t>(totals[1]);
  record.padded_tokens = static_cast<int64_t>(totals[2]);
  std::fill(grads_.begin(), grads_.end(), 0.0f);
  double loss_sum = 0;
  if (buckets_) buckets_->start_step();
  if (record.counted > 0) {
    const float grad_scale = 1.0f / static_cast<float>(record.counted);
    const uint64_t rank = distributed ? uint64_t(comm_->rank()) : 0;
    const uint64_t world = distributed ? uint64_t(comm_->world_size()) : 1;
    size_t last = micro_batches.size();  // the last micro-batch with rows finishes the gradients
    for (size_t i = 0; i < micro_batches.size(); ++i)
      if (micro_batches[i].B > 0) last = i;
    struct ProgressScope {
      Model& model;
      ~ProgressScope() { model.set_backward_progress({}); }
    } progress_scope{model_};
    for (size_t i = 0; i < micro_batches.size(); ++i) {
      const MicroBatch& mb = micro_batches[i];
      if (mb.B == 0) continue;
      shift_labels(mb.labels, mb.B, mb.T, targets_);
      // Accumulation never reaches 2^16 micro-batches, so keys never collide across steps.
      model_.set_dropout_key(dropout_seed, ((step_index << 16) + i) * world + rank);
      if (buckets_ && i == last) model_.set_backward_progress([this](int l) { buckets_->layer_finished(l); });
      loss_sum += model_.forward_backward(mb.ids, targets_, mb.B, mb.T, grad_scale, mb.positions,
                                          mb.segments)
                      .sum;
    }
  }
  if (distributed) {
    buckets_->finish();
    reducer_->wait();
    comm_->all_reduce_sum(std::span<double>(&loss_sum, 1));
  }
  record.loss = record.counted ? loss_sum / static_cast<double>(record.counted) : 0.0;
  const std::span<float> grads[] = {grads_};
  record.grad_norm = clip_grad_norm(grads, max_grad_norm_);
  record.lr = schedule_.lr(adamw_.steps());
  record.skipped = !std::isfinite(record.loss) || !std::isfinite(record.grad_norm);
  if (record.skipped) {
    adamw_.set_steps(adamw_.steps() + 1);
    return record;
  }
  adamw_.step(record.lr);
  if (after_update_) after_update_();
  return record;
}

}  // namespace ft
