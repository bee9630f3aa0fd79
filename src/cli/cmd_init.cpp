// `finetune init`: a new model with fresh random weights (transformers' initialisation), for
// training from scratch: --config gives the architecture (an HF config.json), --tokenizer a
// directory whose tokenizer files are copied next to the weights. The result is an ordinary HF
// model directory that train, eval and generate (and transformers) load.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "cli/flag_values.h"
#include "core/error.h"
#include "formats/atomic_file.h"
#include "formats/hf_files.h"
#include "model/hf_writer.h"
#include "model/model.h"
#include "model/weights_init.h"
#include "text/tokenizer.h"

namespace ft::cli {
namespace {
namespace fs = std::filesystem;

struct InitArgs {
  std::string config, tokenizer, output_dir;
  uint64_t seed = 0;
  bool overwrite = false;
};

void run_init(const InitArgs& a) {
  std::ifstream in(a.config);
  if (!in) fail_usage("--config " + a.config + ": cannot read it; give an HF config.json");
  std::stringstream text;
  text << in.rdbuf();
  const ModelConfig config = parse_model_config(text.str(), a.config);
  const auto json = nlohmann::json::parse(text.str());
  const double range = json.value("initializer_range", 0.02);
  const auto tokenizer = Tokenizer::load(a.tokenizer);
  if (tokenizer->vocab_size() > config.vocab_size)
    fail_usage("--config " + a.config + ": vocab_size " + std::to_string(config.vocab_size) +
               " is smaller than the tokenizer's " + std::to_string(tokenizer->vocab_size()) + " tokens");
  check_directory_flag("--output_dir", a.output_dir);
  if (fs::exists(fs::path(a.output_dir) / "model.safetensors") && !a.overwrite)
    fail_usage(a.output_dir + " already holds a model; pass --overwrite_output_dir to replace it");

  fs::create_directories(a.output_dir);
  write_file_atomic((fs::path(a.output_dir) / "config.json").string(), text.str());
  copy_side_files(a.tokenizer, a.output_dir, tokenizer_file_names());
  ModelWeights weights = allocate_weights(config, DType::F32);
  init_weights(weights, config, range, a.seed);
  const Model model(config, std::move(weights));
  save_hf_model(a.output_dir, model, a.output_dir, DType::F32);
  std::printf("wrote a new %s model (%lld parameters, seed %llu) to %s\n", config.model_type.c_str(),
              static_cast<long long>(config.parameter_count()), static_cast<unsigned long long>(a.seed),
              a.output_dir.c_str());
}

}  // namespace

void add_init_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("init", "Create a model with fresh random weights (to train from scratch)");
  auto args = std::make_shared<InitArgs>();
  cmd->add_option("--config", args->config, "HF config.json giving the architecture")->required();
  cmd->add_option("--tokenizer", args->tokenizer, "directory with the tokenizer files to use")->required();
  cmd->add_option("--output_dir", args->output_dir, "where the model directory is written")->required();
  add_option_checked(*cmd, "--seed", args->seed, "seed for the weights")->capture_default_str();
  cmd->add_flag("--overwrite_output_dir", args->overwrite, "replace a model already there");
  cmd->callback([args] { run_init(*args); });
}

}  // namespace ft::cli
