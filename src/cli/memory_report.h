// The planned peak memory of a `finetune train` invocation: the shape its flags and data give
// (micro-batch, the longest padded sequence, evaluation batch, dtype, LoRA or full,
// checkpointing), the model-side plan, plus the measured process baseline and data. One function
// for `finetune train --dry_run`, `finetune inspect --train` and the trainer's reservation, so
// all three agree.
#pragma once
#include <cstdint>
#include <string>

#include "cli/run_setup.h"
#include "cli/train_flags.h"
#include "model/memory_estimate.h"

namespace ft::cli {

// A training step of these flags at `seq` tokens per row, without evaluation.
TrainShape train_shape(const ResolvedTrain& r, int64_t seq);
// The run's shape: rows as long as the collator pads the longest sequence of either split.
TrainShape run_train_shape(const ResolvedTrain& r, const data::PreparedDataset& data);

// baseline: RSS measured before the model and data were opened (measure_runtime_baseline);
// resident: RSS now, after open_run (their difference is the data's share).
MemoryPlan plan_run_memory(const ModelConfig& config, const TrainShape& shape, int64_t baseline,
                           int64_t resident);

void print_memory_plan(const MemoryPlan& plan, const TrainShape& shape);

// A usage error when the planned peak is clearly above `limit` (memory_limit_bytes(); 0: unknown):
// more than 25% over, beyond the plan's error, so a run that might fit is never refused.
void check_plan_fits(const MemoryPlan& plan, int64_t limit);

// "1.23 GiB" from 1 GiB up, else "456.7 MiB".
std::string format_bytes(int64_t bytes);

}  // namespace ft::cli
