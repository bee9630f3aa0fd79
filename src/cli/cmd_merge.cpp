// `finetune merge`: folds a PEFT LoRA adapter into its base model (PEFT's merge_and_unload) and
// writes the result as a Hugging Face model directory that transformers and `finetune` load
// without the adapter. The output keeps the base's dtype unless --bf16 says otherwise; weights are
// sharded above --max_shard_size like save_pretrained.
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/flag_values.h"
#include "core/error.h"
#include "hub/hub.h"
#include "model/hf_writer.h"
#include "model/merge.h"
#include "model/model.h"
#include "model/peft_adapter.h"

namespace ft::cli {
namespace {

namespace fs = std::filesystem;

struct MergeArgs {
  std::string model_dir, adapter_dir, output_dir;
  std::string bf16;                  // "" = the base's dtype
  std::string max_shard_size = "5GB";
  std::string overwrite_output_dir;
};

// transformers' convert_file_size_to_int: "5GB" = 5·10^9, "5GiB" = 5·2^30, KB/MB likewise, or bytes.
int64_t parse_size(const std::string& text) {
  size_t digits = 0;
  while (digits < text.size() && (std::isdigit(static_cast<unsigned char>(text[digits])) || text[digits] == '.')) ++digits;
  std::string unit = text.substr(digits);
  for (char& ch : unit) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  const double units[][2] = {{1, 1}, {1e3, 1 << 10}, {1e6, 1 << 20}, {1e9, 1 << 30}};
  const char* names[] = {"", "KB", "MB", "GB"};
  const char* binary_names[] = {"B", "KIB", "MIB", "GIB"};
  double scale = 0;
  for (int i = 0; i < 4; ++i) {
    if (unit == names[i]) scale = units[i][0];
    if (unit == binary_names[i]) scale = units[i][1];
  }
  double value = 0;
  try {
    value = digits ? std::stod(text.substr(0, digits)) : 0;
  } catch (const std::exception&) {
    value = 0;
  }
  // Above 2^62 bytes the conversion below would wrap; no shard is that large.
  if (scale == 0 || !(value * scale >= 1) || value * scale > 0x1p62)
    fail_usage("--max_shard_size '" + text + "': expected a size such as 5GB, 500MB or 2GiB");
  return static_cast<int64_t>(value * scale);
}

void require_usable_output(const std::string& dir, bool overwrite) {
  if (!fs::exists(dir)) return;
  if (!fs::is_directory(dir)) fail_usage("--output_dir " + dir + " exists and is not a directory");
  if (!fs::is_empty(dir) && !overwrite)
    fail_usage("--output_dir " + dir + " is not empty; choose another directory or pass "
               "--overwrite_output_dir true to replace its model files");
}

void run_merge(const MergeArgs& args) {
  const int64_t max_shard_bytes = parse_size(args.max_shard_size);
  require_usable_output(args.output_dir,
                        bool_value("--overwrite_output_dir", args.overwrite_output_dir, false));
  const std::string model_dir = hub::resolve_model(args.model_dir);
  if (fs::exists(args.output_dir) && fs::equivalent(args.output_dir, model_dir))
    fail_usage("--output_dir must differ from --model_name_or_path (the base model stays unchanged)");
  // The output dtype is the computation dtype: merging in it rounds once.
  const ModelConfig base = load_model_config((fs::path(model_dir) / "config.json").string());
  const bool bf16 = bool_value("--bf16", args.bf16, base.torch_dtype == "bfloat16");
  const DType dtype = bf16 ? DType::BF16 : DType::F32;
  // The adapter is checked before the (possibly large) base weights are read.
  const auto lora = load_peft_adapter(args.adapter_dir, base);
  Model model = Model::load(model_dir, dtype);
  merge_lora(model, *lora);
  try {
    save_hf_model(args.output_dir, model, model_dir, dtype, max_shard_bytes);
  } catch (const Error& e) {
    throw Error(e.exit_code(), std::string(e.what()) + "; " + args.output_dir +
                                   " holds an incomplete model (no config.json) until a merge into it succeeds");
  }
  std::printf("merged %s (LoRA r=%d, alpha %g) into %s -> %s (%s)\n", args.adapter_dir.c_str(),
              lora->config().rank, lora->config().alpha, model_dir.c_str(),
              args.output_dir.c_str(), bf16 ? "bfloat16" : "float32");
}

}  // namespace

void add_merge_command(CLI::App& app) {
  auto args = std::make_shared<MergeArgs>();
  CLI::App* cmd = app.add_subcommand("merge", "Merge a PEFT LoRA adapter into its base model");
  cmd->add_option("--model_name_or_path", args->model_dir, "Base model directory or Hub id")->required();
  cmd->add_option("--adapter", args->adapter_dir, "Adapter directory (adapter_config.json, "
                  "adapter_model.safetensors)")->required();
  cmd->add_option("--output_dir", args->output_dir, "Where to write the merged model")->required();
  add_bool_flag(*cmd, "--bf16", args->bf16, "Save bf16 weights (default: the base's dtype)");
  cmd->add_option("--max_shard_size", args->max_shard_size, "Largest weight file, e.g. 5GB")
      ->capture_default_str();
  add_bool_flag(*cmd, "--overwrite_output_dir", args->overwrite_output_dir,
                "Replace the model files in a non-empty --output_dir");
  cmd->callback([args] { run_merge(*args); });
}

}  // namespace ft::cli
