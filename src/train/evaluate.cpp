#include "train/evaluate.h"

#include <chrono>
#include <cmath>

#include "data/collate.h"
#include "kernels/cross_entropy.h"
#include "train/train_step.h"

namespace ft {

EvalResult evaluate_loss(Model& model, const std::vector<data::Sequence>& sequences, int64_t batch_size,
                         int32_t pad_id, dist::Communicator& comm) {
  const auto start = std::chrono::steady_clock::now();
  const auto world = static_cast<size_t>(comm.world_size());
  double sums[3] = {0, 0, 0};  // Σ token losses, counted tokens, sequences
  std::vector<int> targets;
  std::vector<float> losses;
  std::vector<const data::Sequence*> rows;
  const auto run_batch = [&] {
    const data::Batch b = data::collate(rows, pad_id);
    shift_labels(b.labels, b.B, b.T, targets);
    losses.assign(targets.size(), 0.0f);
    model.forward_loss(b.ids, targets, b.B, b.T, losses, b.positions, b.segments);
    for (size_t i = 0; i < targets.size(); ++i) {
      if (targets[i] == kIgnoreIndex) continue;
      sums[0] += losses[i];
      sums[1] += 1;
    }
    sums[2] += double(rows.size());
    rows.clear();
  };
  for (size_t i = static_cast<size_t>(comm.rank()); i < sequences.size(); i += world) {
    rows.push_back(&sequences[i]);
    if (static_cast<int64_t>(rows.size()) == batch_size) run_batch();
  }
  if (!rows.empty()) run_batch();
  comm.all_reduce_sum(std::span<double>(sums));
  EvalResult r;
  r.tokens = static_cast<int64_t>(sums[1]);
  r.samples = static_cast<int64_t>(sums[2]);
  r.loss = r.tokens ? sums[0] / sums[1] : std::nan("");
  r.perplexity = std::exp(r.loss);
  r.runtime = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace ft
