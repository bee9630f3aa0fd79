#include "cli/train_flags.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "cli/flag_values.h"
#include "core/error.h"

namespace ft::cli {

namespace {
template <typename T>
void option(CLI::App& app, const std::string& group, const std::string& name, T& target,
            const std::string& help) {
  add_option_checked(app, name, target, help)->group(group)->capture_default_str();
}
}  // namespace

void add_model_flags(CLI::App& app, ModelFlags& f) {
  const std::string g = "Model";
  option(app, g, "--model_name_or_path", f.model_name_or_path, "model directory or Hugging Face Hub id");
  option(app, g, "--model_revision", f.model_revision, "Hub branch, tag or commit of the model");
  option(app, g, "--dataset_name", f.dataset_name, "Hub dataset id (used when --train_file is not given)");
  option(app, g, "--dataset_revision", f.dataset_revision, "Hub branch, tag or commit of the dataset");
  option(app, g, "--dataset_split", f.dataset_split, "which data file of the dataset repository");
  add_bool_flag(app, "--bf16", f.bf16, "frozen weights and GEMMs in bf16 (fp32 accumulation)")->group(g);
}

void take_last_repeated_flag(CLI::App& app) {
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

void add_train_flags(CLI::App& app, TrainFlags& f) {
  take_last_repeated_flag(app);
  add_model_flags(app, f.model);
  add_data_flags(app, f.data, /*with_output_dir=*/false);
  TrainOptions& t = f.train;
  std::string g = "Training";
  add_bool_flag(app, "--do_train", f.do_train, "train")->group(g);
  add_bool_flag(app, "--do_eval", f.do_eval, "evaluate loss and perplexity on the validation split")->group(g);
  option(app, g, "--output_dir", t.output_dir, "where checkpoints, the adapter and results go");
  add_bool_flag(app, "--overwrite_output_dir", f.overwrite_output_dir,
                "start over in an output directory that holds a previous run")->group(g);
  option(app, g, "--resume_from_checkpoint", t.resume_from_checkpoint,
         "a checkpoint directory, or auto = the newest complete one in --output_dir");
  option(app, g, "--per_device_train_batch_size", t.per_device_train_batch_size, "sequences per micro-batch per process");
  option(app, g, "--per_device_eval_batch_size", t.per_device_eval_batch_size, "sequences per evaluation batch per process");
  option(app, g, "--gradient_accumulation_steps", t.gradient_accumulation_steps, "micro-batches per optimizer step");
  option(app, g, "--num_train_epochs", t.num_train_epochs, "epochs (fractions allowed)");
  option(app, g, "--max_steps", t.max_steps, "optimizer steps; > 0 overrides --num_train_epochs");
  option(app, g, "--learning_rate", t.learning_rate, "peak learning rate");
  option(app, g, "--lr_scheduler_type", f.lr_scheduler_type, "linear | cosine | constant | constant_with_warmup");
  option(app, g, "--warmup_steps", t.warmup_steps, "linear warmup steps");
  option(app, g, "--warmup_ratio", t.warmup_ratio, "warmup as a share of all steps (when --warmup_steps is 0)");
  option(app, g, "--weight_decay", t.adamw.weight_decay, "AdamW decoupled weight decay");
  option(app, g, "--adam_beta1", t.adamw.beta1, "AdamW beta1");
  option(app, g, "--adam_beta2", t.adamw.beta2, "AdamW beta2");
  option(app, g, "--adam_epsilon", t.adamw.eps, "AdamW epsilon");
  option(app, g, "--max_grad_norm", t.max_grad_norm, "global gradient-norm clip (0 = off)");
  option(app, g, "--seed", t.seed, "seed for LoRA init, dropout and epoch shuffles");
  add_bool_flag(app, "--gradient_checkpointing", f.gradient_checkpointing,
                "recompute each layer in the backward pass to save memory")->group(g);

  g = "Logging, evaluation and checkpoints";
  option(app, g, "--logging_steps", t.logging_steps, "log every N optimizer steps (< 1: share of all steps)");
  add_bool_flag(app, "--logging_first_step", f.logging_first_step, "also log the first step")->group(g);
  option(app, g, "--logging_dir", t.logging_dir, "TensorBoard directory (default output_dir/runs/<date>)");
  option(app, g, "--report_to", f.report_to, "tensorboard | none");
  option(app, g, "--log_level", f.log_level, "debug | info | warning | error | critical");
  option(app, g, "--eval_strategy", f.eval_strategy, "no | steps | epoch (evaluation during training)");
  option(app, g, "--evaluation_strategy", f.eval_strategy, "older name of --eval_strategy");
  option(app, g, "--eval_steps", t.eval_steps, "evaluate every N steps (default: --logging_steps)");
  option(app, g, "--save_strategy", f.save_strategy, "no | steps | epoch");
  option(app, g, "--save_steps", t.save_steps, "checkpoint every N steps (< 1: share of all steps)");
  option(app, g, "--save_total_limit", t.save_total_limit, "keep at most N checkpoints (0 = all)");

  g = "LoRA";
  add_bool_flag(app, "--use_lora", f.use_lora, "train LoRA adapters (false = full fine-tuning)")->group(g);
  option(app, g, "--lora_rank", f.lora_rank, "adapter rank r");
  option(app, g, "--lora_alpha", f.lora_alpha, "scaling numerator (scale = alpha / r)");
  option(app, g, "--lora_dropout", f.lora_dropout, "dropout on the adapter input");
  app.add_option("--lora_target_modules", f.lora_target_modules,
                 "q_proj k_proj v_proj o_proj gate_proj up_proj down_proj, or all-linear")
      ->group(g)->expected(1, -1)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)->capture_default_str();
  add_bool_flag(app, "--use_rslora", f.use_rslora, "scale = alpha / sqrt(r)")->group(g);

  g = "Run";
  option(app, g, "--dist_timeout", f.dist_timeout, "seconds to wait for peers (rendezvous and every collective)");
  option(app, g, "--ddp_bucket_cap_mb", t.ddp_bucket_cap_mb,
         "all-reduce gradients in buckets of N MiB, each while the backward pass computes the rest");
  app.add_flag("--dry_run", f.dry_run, "check flags, model, tokenizer and data; print the plan; do not train")->group(g);
  g = "Accepted from the Python stack (no effect)";
  for (auto [name, target] : {std::pair{"--use_ipex", &f.use_ipex}, {"--ddp_backend", &f.ddp_backend},
                              {"--no_cuda", &f.no_cuda}, {"--ddp_find_unused_parameters", &f.ddp_find_unused_parameters},
                              {"--use_fast_tokenizer", &f.use_fast_tokenizer}})
    app.add_option_function<std::string>(name, [target](const std::string& v) { *target = v.empty() ? "true" : v; },
                                         "old-stack flag; noted and ignored")->expected(0, 1)->group(g);
}

ResolvedTrain resolve_train_flags(const TrainFlags& f, bool needs_data) {
  ResolvedTrain r;
  r.train = f.train;
  TrainOptions& t = r.train;
  t.do_train = bool_value("--do_train", f.do_train, false);
  t.do_eval = bool_value("--do_eval", f.do_eval, false);
  t.overwrite_output_dir = bool_value("--overwrite_output_dir", f.overwrite_output_dir, false);
  t.gradient_checkpointing = bool_value("--gradient_checkpointing", f.gradient_checkpointing, false);
  t.logging_first_step = bool_value("--logging_first_step", f.logging_first_step, false);
  t.lr_scheduler = parse_lr_schedule(f.lr_scheduler_type);
  t.eval_strategy = f.eval_strategy.empty() ? IntervalStrategy::kNo
                                            : parse_interval_strategy("--eval_strategy", f.eval_strategy);
  t.save_strategy = parse_interval_strategy("--save_strategy", f.save_strategy);
  if (f.report_to != "tensorboard" && f.report_to != "none" && f.report_to != "all")
    fail_usage("--report_to \"" + f.report_to + "\" is not supported; use tensorboard or none");
  t.report_tensorboard = f.report_to != "none";
  constexpr std::array<std::string_view, 6> kLevels = {"debug", "info", "warning", "error", "critical", "passive"};
  if (std::find(kLevels.begin(), kLevels.end(), f.log_level) == kLevels.end())
    fail_usage("--log_level \"" + f.log_level + "\" is not a level; use debug, info, warning, error or critical");
  if (f.model.model_name_or_path.empty()) fail_usage("--model_name_or_path is required");

  DataFlags data = f.data;
  data.output_dir = t.output_dir;
  r.data = data.resolve();
  t.group_by_length = r.data.group_by_length;
  if (needs_data && r.data.train_file.empty() && f.model.dataset_name.empty())
    fail_usage("give the data: --train_file FILE or --dataset_name HUB_ID");

  r.bf16 = bool_value("--bf16", f.model.bf16, false);
  r.use_lora = bool_value("--use_lora", f.use_lora, true);
  r.lora.rank = f.lora_rank;
  r.lora.alpha = f.lora_alpha;
  r.lora.dropout = f.lora_dropout;
  r.lora.use_rslora = bool_value("--use_rslora", f.use_rslora, false);
  r.lora.targets = parse_lora_targets(f.lora_target_modules);
  if (r.use_lora) r.lora.validate();

  for (auto [name, value] : {std::pair{"--use_ipex", &f.use_ipex}, {"--ddp_backend", &f.ddp_backend},
                             {"--no_cuda", &f.no_cuda}, {"--ddp_find_unused_parameters", &f.ddp_find_unused_parameters},
                             {"--use_fast_tokenizer", &f.use_fast_tokenizer}})
    if (!value->empty())
      r.notes.push_back(std::string("note: ") + name + " belongs to the PyTorch stack; finetune.cpp ignores it "
                        "(CPU kernels, gloo all-reduce and the model's own tokenizer are built in)");
  t.validate();
  return r;
}

std::string position_limit_note(int64_t max_seq_length, const ModelConfig& config) {
  if (max_seq_length <= config.max_position_embeddings) return "";
  return "note: --max_seq_length " + std::to_string(max_seq_length) + " is beyond the model's max_position_embeddings " +
         std::to_string(config.max_position_embeddings) +
         ": positions past it were not seen in pretraining, so quality there may be poor";
}

}  // namespace ft::cli
