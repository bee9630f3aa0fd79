#include "cli/memory_report.h"

#include <algorithm>
#include <cstdio>

#include "core/error.h"

namespace ft::cli {
namespace {

constexpr int64_t kPadMultiple = 8;  // data::collate pads every batch to a multiple of 8 tokens

double mib(int64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

}  // namespace

TrainShape train_shape(const ResolvedTrain& r, int64_t seq) {
  TrainShape shape;
  shape.batch = r.train.per_device_train_batch_size;
  shape.seq = seq;
  shape.train = r.train.do_train;
  shape.bf16 = r.bf16;
  shape.use_lora = r.use_lora;
  shape.lora = r.lora;
  shape.gradient_checkpointing = r.train.gradient_checkpointing;
  return shape;
}

TrainShape run_train_shape(const ResolvedTrain& r, const data::PreparedDataset& data) {
  size_t longest = 1;
  for (const auto* split : {&data.train, &data.eval})
    for (const auto& s : *split) longest = std::max(longest, s.size());
  TrainShape shape =
      train_shape(r, (static_cast<int64_t>(longest) + kPadMultiple - 1) / kPadMultiple * kPadMultiple);
  shape.eval_batch = r.train.do_eval && !data.eval.empty() ? r.train.per_device_eval_batch_size : 0;
  return shape;
}

MemoryPlan plan_run_memory(const ModelConfig& config, const TrainShape& shape, int64_t baseline,
                           int64_t resident) {
  MemoryPlan plan = plan_training_memory(config, shape);
  plan.baseline = baseline;
  plan.data = std::max<int64_t>(0, resident - baseline);
  return plan;
}

void check_plan_fits(const MemoryPlan& plan, int64_t limit) {
  if (limit <= 0 || plan.total() <= limit + limit / 4) return;
  fail_usage("the run's planned peak memory, " + format_bytes(plan.total()) + ", is far above the " +
             format_bytes(limit) + " this machine (or container) has: lower --per_device_train_batch_size or "
             "--max_seq_length, or pass --gradient_checkpointing true (finetune inspect --train <flags> breaks it down)");
}

std::string format_bytes(int64_t bytes) {
  char buf[32];
  if (bytes >= (int64_t{1} << 30)) std::snprintf(buf, sizeof buf, "%.2f GiB", mib(bytes) / 1024.0);
  else std::snprintf(buf, sizeof buf, "%.1f MiB", mib(bytes));
  return buf;
}

void print_memory_plan(const MemoryPlan& m, const TrainShape& s) {
  std::printf("  memory (planned peak per process, micro-batch %lld x %lld tokens): %.1f MiB (%.2f GiB)\n",
              static_cast<long long>(s.batch), static_cast<long long>(s.seq), mib(m.total()),
              mib(m.total()) / 1024.0);
  const std::pair<const char*, int64_t> rows[] = {
      {"weights", m.weights},
      {s.use_lora ? "LoRA values + AdamW m, v" : (s.bf16 ? "fp32 masters + AdamW m, v" : "AdamW m, v"),
       m.trainable_state},
      {"gradients", m.gradients},
      {"activation arena", m.activation_arena},
      {"logits chunk", m.logits_chunk},
      {"LoRA saved products", m.lora_products},
      {"gradient arena", m.gradient_arena},
      {"GEMM scratch", m.gemm_scratch},
      {"tokenizer + dataset (measured)", m.data},
      {"runtime baseline (measured)", m.baseline},
  };
  for (const auto& [name, bytes] : rows) std::printf("    %-32s %10.1f MiB\n", name, mib(bytes));
}

}  // namespace ft::cli
