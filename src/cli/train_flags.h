// The flags of `finetune train` (and the model/data subset `finetune eval` shares), under the
// names of the reference finetune.py and Transformers' TrainingArguments, with their defaults.
// Register on the subcommand, parse, then resolve() into the options each layer takes.
#pragma once
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "cli/data_flags.h"
#include "model/config.h"
#include "model/lora.h"
#include "train/train_options.h"

namespace ft::cli {

struct ModelFlags {
  std::string model_name_or_path, model_revision = "main";
  std::string dataset_name, dataset_revision = "main", dataset_split = "train";
  std::string bf16;  // "" = false (as Transformers)
};

struct TrainFlags {
  ModelFlags model;
  DataFlags data;
  TrainOptions train;  // numeric and string options are bound directly
  std::string do_train, do_eval, gradient_checkpointing, overwrite_output_dir, logging_first_step;
  std::string lr_scheduler_type = "linear", eval_strategy, save_strategy = "steps";
  std::string report_to = "tensorboard", log_level = "info";
  std::string use_lora, use_rslora;
  int lora_rank = 8;
  double lora_alpha = 16.0, lora_dropout = 0.05;
  std::vector<std::string> lora_target_modules{"q_proj", "v_proj"};
  double dist_timeout = 600;  // seconds
  bool dry_run = false;
  // Accepted for the old Python stack's command lines; each given one gets a note.
  std::string use_ipex, ddp_backend, no_cuda, ddp_find_unused_parameters, use_fast_tokenizer;
};

struct ResolvedTrain {
  TrainOptions train;
  data::DataOptions data;
  bool use_lora = true, bf16 = false;
  LoraConfig lora;
  std::vector<std::string> notes;  // old-stack flags, choices made
};

// As argparse does, a flag given twice (a config file and the command line, or a chart's defaults
// and overrides) keeps its last value. Call before registering flags.
void take_last_repeated_flag(CLI::App& app);
void add_model_flags(CLI::App& app, ModelFlags& flags);
void add_train_flags(CLI::App& app, TrainFlags& flags);
// Usage errors (exit 1) naming the flag for anything that cannot run. needs_data false (`finetune
// bench`, which trains on random tokens): no --train_file or --dataset_name is required.
ResolvedTrain resolve_train_flags(const TrainFlags& flags, bool needs_data = true);
// A note when --max_seq_length passes the positions the model was pretrained on (allowed, as for
// context extension, but worth knowing); empty otherwise.
std::string position_limit_note(int64_t max_seq_length, const ModelConfig& config);

}  // namespace ft::cli
