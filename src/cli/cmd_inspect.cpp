// `finetune inspect DIR|ORG/NAME`: what a model directory (or a Hub model, fetched into the HF
// cache) holds (architecture, shapes, parameter count, stored dtypes) and the memory a LoRA and
// a full fine-tune of it would need. `finetune inspect --train <train flags>` prints the planned
// peak of that exact training run, the same plan `finetune train --dry_run` prints.
#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/flag_values.h"
#include "cli/memory_report.h"
#include "cli/run_setup.h"
#include "cli/train_flags.h"
#include "core/cpu_features.h"
#include "core/error.h"
#include "core/process_memory.h"
#include "data/data_options.h"
#include "formats/safetensors.h"
#include "hub/hub.h"
#include "kernels/gemm.h"
#include "kernels/linear.h"
#include "model/config.h"
#include "model/memory_estimate.h"

namespace ft::cli {
namespace {

// Which engine gemm() takes for each projection of one T-token sequence (forward, input
// gradient, weight gradient), per compute dtype: the rule of docs/performance-gemm.md.
void print_gemm_engines(const ModelConfig& c, int64_t T) {
  const int64_t C = c.hidden_size, I = c.intermediate_size, QD = int64_t{c.num_attention_heads} * c.head_dim,
                KVD = int64_t{c.num_key_value_heads} * c.head_dim;
  struct Projection { const char* name; int64_t in, out; };
  const Projection projections[] = {{"q", C, QD}, {"k/v", C, KVD}, {"o", QD, C}, {"gate/up", C, I}, {"down", I, C}};
  for (DType dt : {DType::F32, DType::BF16}) {
    std::printf("gemm engines, %s, %lld tokens (forward/input-grad/weight-grad):", std::string(dtype_name(dt)).c_str(),
                static_cast<long long>(T));
    for (const Projection& p : projections) {
      auto name = [](const GemmShape& s) { return std::string(gemm_engine_name(gemm_engine_for(s))); };
      std::printf(" %s %s/%s/%s", p.name, name(linear_shape(T, p.in, p.out, dt, false)).c_str(),
                  name(linear_backward_input_shape(T, p.in, p.out, dt, false)).c_str(),
                  name(linear_backward_weight_shape(T, p.in, p.out, dt)).c_str());
    }
    std::printf("\n");
  }
}

void run_inspect(const std::string& name_or_path) {
  const std::string dir = hub::resolve_model(name_or_path);
  const ModelConfig c = load_model_config(dir + "/config.json");
  const WeightStore store = WeightStore::open_dir(dir);

  std::map<std::string, std::pair<int, long long>> by_dtype;  // dtype -> tensors, elements
  long long stored = 0;
  for (const auto& name : store.names()) {
    const TensorView& t = store.require(name);
    auto& slot = by_dtype[std::string(dtype_name(t.dtype))];
    ++slot.first;
    slot.second += t.numel();
    stored += t.numel();
  }
  std::printf("model: %s\n", dir.c_str());
  std::printf("architecture: %s (model_type %s)\n", c.architecture.c_str(), c.model_type.c_str());
  std::printf("layers %d, hidden %d, intermediate %d, heads %d, kv heads %d, head_dim %d, vocab %d, "
              "context %d\n",
              c.num_hidden_layers, c.hidden_size, c.intermediate_size, c.num_attention_heads,
              c.num_key_value_heads, c.head_dim, c.vocab_size, c.max_position_embeddings);
  std::printf("rope_theta %g%s, rms_norm_eps %g, tied embeddings %s, attention bias %s\n",
              c.rope_theta, c.rope_scaling.type.empty() ? "" : (" (" + c.rope_scaling.type + " scaling)").c_str(),
              c.rms_norm_eps, c.tie_word_embeddings ? "yes" : "no", c.attention_bias ? "yes" : "no");
  std::printf("parameters: %lld (from config), %lld stored\n", c.parameter_count(), stored);
  std::printf("stored dtypes:");
  for (const auto& [dtype, count] : by_dtype)
    std::printf(" %s (%d tensors, %lld elements)", dtype.c_str(), count.first, count.second);
  std::printf("\ncpu: %s\ngemm: %s\n", describe(cpu_features()).c_str(), gemm_backend_summary().c_str());

  const int64_t T = std::min(c.max_position_embeddings > 0 ? c.max_position_embeddings : 512, 512);
  print_gemm_engines(c, T);
  TrainShape shape;
  shape.seq = T;
  shape.bf16 = true;
  shape.lora.targets = parse_lora_targets("q_proj,v_proj");
  std::printf("\nmemory of batch 1 x %lld tokens (model side; finetune inspect --train FLAGS plans a run):\n",
              static_cast<long long>(T));
  std::printf("  LoRA r=8 on q_proj,v_proj, bf16: %s\n", format_bytes(plan_training_memory(c, shape).model_side()).c_str());
  shape.use_lora = false;
  std::printf("  full fine-tune, bf16 + fp32 masters: %s\n", format_bytes(plan_training_memory(c, shape).model_side()).c_str());
}

// `inspect --train <train flags>`: the memory plan `train --dry_run` prints, after opening the
// model, tokenizer and data exactly as train does.
void run_inspect_train(TrainFlags flags) {
  // Nothing is written: without --output_dir the tokenized data is cached only in $FINETUNE_CACHE.
  const bool no_output_dir = flags.train.output_dir.empty();
  if (no_output_dir) flags.train.output_dir = ".";
  ResolvedTrain r = resolve_train_flags(flags);
  if (no_output_dir && flags.data.options.cache_dir.empty()) r.data.cache_dir = data::default_cache_dir("");
  const int64_t baseline = measure_runtime_baseline(r.bf16);
  const RunSetup s = open_run(flags.model, r.data, dist::LaunchInfo{}, flags.dist_timeout);
  const ModelConfig c = load_model_config(s.model_dir + "/config.json");
  const TrainShape shape = run_train_shape(r, *s.dataset);
  std::printf("model: %s; %s, weights in %s%s\n", s.model_dir.c_str(),
              r.use_lora ? "LoRA" : "full fine-tuning", r.bf16 ? "bf16" : "fp32",
              r.train.gradient_checkpointing ? ", gradient checkpointing" : "");
  print_memory_plan(plan_run_memory(c, shape, baseline, resident_bytes()), shape);
}

}  // namespace

void add_inspect_command(CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  auto train = std::make_shared<bool>(false);
  auto flags = std::make_shared<TrainFlags>();
  flags->do_train = "true";  // planning a training run unless --do_train false says otherwise
  CLI::App* cmd = app.add_subcommand("inspect", "Describe a model directory and its fine-tuning memory");
  cmd->add_option("model_dir", *dir, "Hugging Face model directory or Hub id (org/name)");
  cmd->add_flag("--train", *train,
                "plan the peak memory of `finetune train` given train's flags (model, data, batch, "
                "LoRA or full, bf16, checkpointing), as train --dry_run prints it");
  add_train_flags(*cmd, *flags);
  cmd->allow_extras();
  cmd->callback([cmd, dir, train, flags] {
    reject_unknown_flags(*cmd);
    if (*train) {
      if (flags->model.model_name_or_path.empty()) flags->model.model_name_or_path = *dir;
      return run_inspect_train(*flags);
    }
    if (dir->empty()) fail_usage("inspect: give a model directory or Hub id, or --train with train's flags");
    run_inspect(*dir);
  });
}

}  // namespace ft::cli
