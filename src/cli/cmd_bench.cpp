// `finetune bench`: how fast a training run would step on this machine, before a node is given to
// it. It takes `finetune train`'s flags (paste the run's command line; the data, output and
// schedule flags are not read), builds the model (from its weights, or from config.json alone
// with --random_weights) and times optimizer steps on one micro-batch of random tokens,
// --per_device_train_batch_size × --max_seq_length, every label counted. It prints the CPU path and
// GEMM engines, this CPU's measured peak, each step, tokens/s, the model FLOPs utilisation against
// that peak, and the peak memory beside the plan `finetune train` would print. One process: a
// data-parallel run steps each rank at about this rate (plus the gradient all-reduce).
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "cli/commands.h"
#include "cli/flag_values.h"
#include "cli/memory_report.h"
#include "cli/train_flags.h"
#include "core/compute_peak.h"
#include "core/cpu_features.h"
#include "core/error.h"
#include "core/process_memory.h"
#include "hub/hub.h"
#include "kernels/gemm.h"
#include "model/memory_estimate.h"
#include "model/model_flops.h"
#include "model/weights_init.h"
#include "train/full_finetune.h"
#include "train/step_benchmark.h"

namespace ft::cli {
namespace {
namespace fs = std::filesystem;

struct BenchFlags {
  TrainFlags train;
  int steps = 3, warmup = 1;
  std::string random_weights;
};

// The unit a step's GEMMs run on, and its measured peak: AMX tiles where bf16 runs natively on
// them, else the FMA units (fp32, and bf16 widened to fp32).
ComputePeak step_peak(bool bf16, int threads) {
  if (bf16 && gemm_native_bf16() && cpu_features().amx_bf16) {
    const ComputePeak amx = amx_bf16_peak(threads);
    if (amx.gflops > 0) return amx;
  }
  return fma_peak(threads);
}

std::string what_is_trained(const ResolvedTrain& r) {
  if (!r.use_lora) return "full fine-tuning";
  std::string out = "LoRA r=" + std::to_string(r.lora.rank) + " on";
  for (int t = 0; t < kLoraTargetCount; ++t)
    if (r.lora.targets[size_t(t)]) out += " " + std::string(lora_target_name(LoraTarget(t)));
  return out;
}

void run_bench(const CLI::App& cmd, const BenchFlags& flags) {
  reject_unknown_flags(cmd);
  TrainFlags train_flags = flags.train;
  train_flags.do_train = "true";  // what is timed (a pasted --do_eval alone is not an error here)
  // bench writes nothing; the run's other flags are still checked as train checks them.
  if (train_flags.train.output_dir.empty()) train_flags.train.output_dir = "unused";
  const ResolvedTrain r = resolve_train_flags(train_flags, /*needs_data=*/false);
  if (flags.steps < 1) fail_usage("--bench_steps must be at least 1 (the timed optimizer steps)");
  if (flags.warmup < 0) fail_usage("--bench_warmup must be 0 or more (the untimed steps before them)");
  if (r.data.max_seq_length < 8)
    fail_usage("--max_seq_length " + std::to_string(r.data.max_seq_length) + " is too small; use 8 or more");
  const bool random_weights = bool_value("--random_weights", flags.random_weights, false);
  const int64_t B = r.train.per_device_train_batch_size, T = r.data.max_seq_length;
  const DType dtype = r.bf16 ? DType::BF16 : DType::F32;
  if (!r.data.train_file.empty() || !flags.train.model.dataset_name.empty())
    std::printf("note: bench steps on random tokens; the data flags are not read\n");

  const int64_t baseline = measure_runtime_baseline(r.bf16);
  const std::string dir = hub::resolve_model(flags.train.model.model_name_or_path,
                                             {.revision = flags.train.model.model_revision});
  const ModelConfig config = load_model_config((fs::path(dir) / "config.json").string());
  if (const std::string note = position_limit_note(T, config); !note.empty()) std::printf("%s\n", note.c_str());
  if (r.train.gradient_accumulation_steps > 1)
    std::printf("note: each timed step is one micro-batch; an optimizer step of this run takes %lld of them\n",
                static_cast<long long>(r.train.gradient_accumulation_steps));
  const MemoryPlan plan = plan_run_memory(config, train_shape(r, T), baseline, baseline);
  check_plan_fits(plan, memory_limit_bytes());
  Model model = random_weights ? Model(config, benchmark_weights(config, dtype)) : Model::load(dir, dtype);
  const int threads = omp_get_max_threads();
  std::printf("bench: %s (%s, %d layers, hidden %d, vocab %d), %s weights in %s, %s\n", dir.c_str(),
              config.model_type.c_str(), config.num_hidden_layers, config.hidden_size, config.vocab_size,
              random_weights ? "random" : "its", r.bf16 ? "bf16" : "fp32", what_is_trained(r).c_str());
  std::printf("cpu: %s, %d threads; GEMM: %s\n", describe(cpu_features()).c_str(), threads,
              gemm_backend_summary().c_str());
  const ComputePeak peak = step_peak(r.bf16, threads);
  std::printf("peak: %.1f GFLOP/s (%s, measured now)\n", peak.gflops, peak.isa.c_str());
  std::fflush(stdout);

  std::unique_ptr<LoraWeights> lora;
  std::unique_ptr<FullFinetune> full;
  std::span<float> values, grads;
  std::function<void()> after_update;
  if (r.use_lora) {
    lora = std::make_unique<LoraWeights>(config, r.lora);
    lora->init(r.train.seed);
    model.attach_lora(lora.get());
    values = lora->values(), grads = lora->grads();
  } else {
    full = std::make_unique<FullFinetune>(model);
    values = full->values(), grads = full->grads();
    after_update = [&] { full->sync_model(); };
  }
  model.set_gradient_checkpointing(r.train.gradient_checkpointing);
  model.reserve_training(B, T);
  const RandomBatch batch(config.vocab_size, B, T, 0, r.train.seed);
  StepRunner runner(model, values, grads,
                    {.schedule = r.train.lr_scheduler, .learning_rate = r.train.learning_rate,
                     .warmup_steps = 0, .total_steps = flags.warmup + flags.steps,
                     .max_grad_norm = r.train.max_grad_norm, .adamw = r.train.adamw,
                     .no_decay = full ? full->vector_ranges() : std::vector<std::pair<int64_t, int64_t>>{}},
                    after_update);
  const StepTimes t = time_steps(runner, batch.micro_batch(), flags.warmup, flags.steps,
                                 [](int step, double sec, double loss, bool warmup) {
    std::printf("step %d: %.2f s, loss %.4f%s\n", step, sec, loss, warmup ? " (warm-up, not timed)" : "");
    std::fflush(stdout);
  });

  const double tokens_per_s = double(B * T) / t.median;
  const double flops = training_flops_per_token(config, r.use_lora ? &r.lora : nullptr, T);
  const double achieved = flops * tokens_per_s / 1e9;
  const auto [fastest, slowest] = std::minmax_element(t.seconds.begin(), t.seconds.end());
  std::printf("result: %lld x %lld tokens per step, median %.2f s of %d (%.2f-%.2f s): %.1f tokens/s; %.1f "
              "MFLOP per token = %.1f GFLOP/s, %.0f%% of the %s peak\n",
              static_cast<long long>(B), static_cast<long long>(T), t.median, flags.steps, *fastest, *slowest,
              tokens_per_s, flops / 1e6, achieved, 100.0 * achieved / peak.gflops, peak.isa.c_str());
  std::printf("memory: peak RSS %s; planned %s (finetune train adds the tokenized dataset)\n",
              format_bytes(peak_resident_bytes()).c_str(), format_bytes(plan.total()).c_str());
}

}  // namespace

void add_bench_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "bench", "Time training steps of a model on this machine (the flags of train; random tokens)");
  cmd->allow_extras();
  auto flags = std::make_shared<BenchFlags>();
  add_train_flags(*cmd, flags->train);
  const std::string g = "Benchmark";
  cmd->add_option("--bench_steps", flags->steps, "timed optimizer steps (their median is reported)")
      ->capture_default_str()->group(g);
  cmd->add_option("--bench_warmup", flags->warmup, "untimed steps first (plans, arenas, JIT)")
      ->capture_default_str()->group(g);
  add_bool_flag(*cmd, "--random_weights", flags->random_weights,
                "random weights from config.json alone (a directory holding only config.json will do)")
      ->group(g);
  cmd->callback([cmd, flags] { run_bench(*cmd, *flags); });
}

}  // namespace ft::cli
