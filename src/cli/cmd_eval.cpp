// `finetune eval`: loss and perplexity of a model, optionally with a PEFT adapter, on a dataset
// formatted and tokenized exactly as training does. With --validation_split_percentage (or
// --validation_file) it scores the held-out split a training run with the same flags held out;
// otherwise every record. --output_dir also receives eval_results.json.
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "cli/flag_values.h"
#include "cli/run_setup.h"
#include "core/error.h"
#include "formats/atomic_file.h"
#include "model/peft_adapter.h"
#include "train/evaluate.h"

namespace ft::cli {
namespace {

struct EvalArgs {
  ModelFlags model;
  DataFlags data;
  std::string adapter;
  int64_t batch_size = 8;
  double dist_timeout = 600;
};

void run_eval(const CLI::App& cmd, const EvalArgs& args) {
  reject_unknown_flags(cmd);
  if (args.model.model_name_or_path.empty()) fail_usage("--model_name_or_path is required");
  if (args.batch_size < 1) fail_usage("--per_device_eval_batch_size must be at least 1");
  const data::DataOptions data = args.data.resolve();
  check_directory_flag("--output_dir", args.data.output_dir);
  if (data.train_file.empty() && args.model.dataset_name.empty())
    fail_usage("give the data: --train_file FILE or --dataset_name HUB_ID");
  RunSetup s = open_run(args.model, data, dist::detect_launch(), args.dist_timeout);
  const bool rank0 = s.comm->rank() == 0;
  for (const auto& n : s.notes) std::printf("%s\n", n.c_str());

  Model model = Model::load(s.model_dir, bool_value("--bf16", args.model.bf16, false) ? DType::BF16 : DType::F32);
  std::unique_ptr<LoraWeights> lora;
  if (!args.adapter.empty()) {
    lora = load_peft_adapter(args.adapter, model.config());
    model.attach_lora(lora.get());
  }
  // The held-out split when one is asked for (even if a flag left it empty), else every record.
  const bool held_out = data.validation_split_percentage > 0 || !data.validation_file.empty();
  const auto& sequences = held_out ? s.dataset->eval : s.dataset->train;
  if (const std::string why = data::empty_split_reason(data, *s.dataset, !held_out, held_out ? "" : "data");
      !why.empty())
    fail_usage(why);
  const EvalResult r = evaluate_loss(model, sequences, args.batch_size, s.pad_id, *s.comm);
  if (!std::isfinite(r.loss))
    throw Error(kExitBadInput, "the loss is " + std::string(std::isnan(r.loss) ? "NaN" : "infinite") +
                                   ": the model's weights" + (args.adapter.empty() ? "" : " or the adapter's") +
                                   " hold NaN or Inf values (or overflow)");
  if (!rank0) return;
  std::printf("%s: %lld sequences, %lld target tokens\n{'eval_loss': %.6g, 'perplexity': %.6g}\n",
              held_out ? "validation split" : "all records", static_cast<long long>(r.samples),
              static_cast<long long>(r.tokens), r.loss, r.perplexity);
  if (!args.data.output_dir.empty()) {
    std::filesystem::create_directories(args.data.output_dir);
    const nlohmann::json results = {{"eval_loss", r.loss},       {"perplexity", r.perplexity},
                                    {"eval_samples", r.samples}, {"eval_tokens", r.tokens},
                                    {"eval_runtime", r.runtime}, {"adapter", args.adapter}};
    write_file_atomic((std::filesystem::path(args.data.output_dir) / "eval_results.json").string(),
                      results.dump(4) + "\n");
  }
}

}  // namespace

void add_eval_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("eval", "Loss and perplexity of a model (+ adapter) on a dataset");
  cmd->allow_extras();
  auto args = std::make_shared<EvalArgs>();
  take_last_repeated_flag(*cmd);
  add_model_flags(*cmd, args->model);
  add_data_flags(*cmd, args->data, /*with_output_dir=*/true);
  cmd->add_option("--adapter", args->adapter, "PEFT adapter directory (adapter_config.json + adapter_model.safetensors)");
  cmd->add_option("--per_device_eval_batch_size", args->batch_size, "sequences per batch")->capture_default_str();
  cmd->add_option("--dist_timeout", args->dist_timeout, "seconds to wait for peers")->capture_default_str();
  cmd->callback([cmd, args] { run_eval(*cmd, *args); });
}

}  // namespace ft::cli
