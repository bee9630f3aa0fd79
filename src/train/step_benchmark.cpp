#include "train/step_benchmark.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "core/rng.h"

namespace ft {

RandomBatch::RandomBatch(int64_t vocab, int64_t rows, int64_t cols, int64_t prompt_tokens,
                         uint64_t seed)
    : ids(size_t(rows * cols)), B(rows), T(cols) {
  const Rng rng(seed, RngStream::kBenchmark);
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = int(rng.below(uint32_t(vocab), i));
  labels = ids;
  for (int64_t b = 0; b < B; ++b)
    std::fill_n(labels.begin() + b * T, std::min(prompt_tokens, T), -100);
}

MicroBatch RandomBatch::micro_batch() const {
  return {.ids = ids, .labels = labels, .positions = {}, .segments = {}, .B = B, .T = T,
          .tokens = B * T};
}

StepTimes time_steps(StepRunner& runner, const MicroBatch& batch, int warmup, int steps,
                     const std::function<void(int, double, double, bool)>& on_step) {
  if (warmup < 0 || steps < 1) throw std::invalid_argument("time_steps: warmup >= 0, steps >= 1");
  StepTimes t;
  for (int s = 0; s < warmup + steps; ++s) {
    const auto start = std::chrono::steady_clock::now();
    t.loss = runner.step(std::span(&batch, 1)).loss;
    const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (on_step) on_step(s + 1, sec, t.loss, s < warmup);
    if (s >= warmup) t.seconds.push_back(sec);
  }
  std::vector<double> sorted = t.seconds;
  std::sort(sorted.begin(), sorted.end());
  const size_t mid = sorted.size() / 2;
  t.median = sorted.size() % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return t;
}

}  // namespace ft
