// Timing optimizer steps on one fixed micro-batch of random tokens, for bench_train_step and
// `finetune bench`: warm-up steps (the first builds the GEMM plans and touches the arenas), then
// timed steps, reported by their median (this shared VM's steps vary by 10–20% minute to minute).
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "train/train_step.h"

namespace ft {

// B rows of T token ids drawn uniformly from the vocabulary (seeded), labels equal to the ids
// except the first `prompt_tokens` of every row, which are -100 as a masked prompt is.
struct RandomBatch {
  std::vector<int> ids, labels;
  int64_t B = 0, T = 0;
  RandomBatch(int64_t vocab, int64_t B, int64_t T, int64_t prompt_tokens, uint64_t seed);
  MicroBatch micro_batch() const;
};

struct StepTimes {
  std::vector<double> seconds;  // the timed steps, in order
  double median = 0;
  double loss = 0;  // of the last step
};

// Runs `warmup` + `steps` (≥ 1) optimizer steps; `on_step(index from 1, seconds, loss, warm-up?)`
// after each.
StepTimes time_steps(StepRunner& runner, const MicroBatch& batch, int warmup, int steps,
                     const std::function<void(int, double, double, bool)>& on_step = {});

}  // namespace ft
