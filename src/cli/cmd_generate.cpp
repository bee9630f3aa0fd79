// `finetune generate`: loads a HF model directory and its tokenizer, encodes --prompt, and streams
// the prompt and its continuation to stdout as tokens are chosen. Greedy at --temperature 0;
// otherwise temperature + top-p sampling seeded by --seed (same seed, same text). Generation stops
// at any EOS id (config, generation and tokenizer settings), a generated BOS, --stop_token_ids,
// --max_new_tokens, or the model's context length.
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/flag_values.h"
#include "core/error.h"
#include "hub/hub.h"
#include "model/generate.h"
#include "model/model.h"
#include "model/peft_adapter.h"
#include "text/stream_decoder.h"
#include "text/tokenizer.h"

namespace ft::cli {
namespace {

struct GenerateArgs {
  std::string model_dir;
  std::string adapter_dir;  // PEFT LoRA adapter applied on top, or ""
  std::string prompt;
  int max_new_tokens = 128;
  float temperature = 0.0f;
  float top_p = 1.0f;
  uint64_t seed = 42;
  bool bf16 = false;
  std::vector<int> stop_token_ids;
};

std::vector<int> stop_ids(const ModelConfig& config, const Tokenizer& tokenizer,
                          const std::vector<int>& extra) {
  std::vector<int> ids = extra;
  ids.insert(ids.end(), config.eos_token_ids.begin(), config.eos_token_ids.end());
  ids.insert(ids.end(), tokenizer.eos_ids.begin(), tokenizer.eos_ids.end());
  // A generated BOS starts a new document: llama2.c-style models (stories260k) end stories so.
  if (tokenizer.bos_id) ids.push_back(*tokenizer.bos_id);
  else if (config.bos_token_id >= 0) ids.push_back(config.bos_token_id);
  return ids;
}

void run_generate(const GenerateArgs& args) {
  if (args.max_new_tokens < 0) fail_usage("--max_new_tokens must be 0 or more");
  if (!(args.temperature >= 0) || !std::isfinite(args.temperature))
    fail_usage("--temperature must be a finite number >= 0 (0 = greedy)");
  if (!(args.top_p > 0 && args.top_p <= 1)) fail_usage("--top_p must be in (0, 1] (1 = off)");
  const std::string model_dir = hub::resolve_model(args.model_dir);
  const auto tokenizer = Tokenizer::load(model_dir);
  Model model = Model::load(model_dir, args.bf16 ? DType::BF16 : DType::F32);
  const auto lora = args.adapter_dir.empty() ? nullptr : load_peft_adapter(args.adapter_dir, model.config());
  model.attach_lora(lora.get());
  const std::vector<int> prompt = tokenizer->encode(args.prompt);
  // Checked before the prompt is echoed, so a refusal is one line.
  const ModelConfig& config = model.config();
  for (int id : prompt)
    if (id >= config.vocab_size)
      fail_input(model_dir, "the tokenizer gives the prompt token id " + std::to_string(id) +
                                ", beyond config.json's vocab_size " + std::to_string(config.vocab_size) +
                                ": the tokenizer files do not belong to this model");
  if (static_cast<int64_t>(prompt.size()) >= config.max_position_embeddings)
    fail_usage("--prompt is " + std::to_string(prompt.size()) + " tokens; the model's context is " +
               std::to_string(config.max_position_embeddings) + " (max_position_embeddings): shorten it");

  GenerationOptions options;
  options.max_new_tokens = args.max_new_tokens;
  options.sampling = {.temperature = args.temperature, .top_p = args.top_p, .seed = args.seed};
  options.stop_ids = stop_ids(model.config(), *tokenizer, args.stop_token_ids);

  StreamDecoder stream(*tokenizer);
  auto emit = [](const std::string& text) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  };
  for (int id : prompt) emit(stream.push(id));
  const GenerationResult result = generate(model, prompt, options, [&](int id) { emit(stream.push(id)); });
  emit(stream.finish());
  emit("\n");
  // --max_new_tokens 2000 on a 512-token model gave a shorter text without a word.
  if (result.reason == StopReason::ContextFull)
    std::fprintf(stderr, "note: stopped at the model's context of %d tokens (max_position_embeddings) after %zu new "
                 "tokens, before --max_new_tokens %d\n",
                 model.config().max_position_embeddings, result.tokens.size(), args.max_new_tokens);
}

}  // namespace

void add_generate_command(CLI::App& app) {
  auto args = std::make_shared<GenerateArgs>();
  CLI::App* cmd = app.add_subcommand("generate", "Continue a prompt with a Hugging Face model");
  cmd->add_option("--model_name_or_path", args->model_dir, "Model directory or Hub id (org/name)")->required();
  cmd->add_option("--adapter", args->adapter_dir, "PEFT LoRA adapter directory to apply");
  cmd->add_option("--prompt", args->prompt, "Text to continue")->required();
  cmd->add_option("--max_new_tokens", args->max_new_tokens, "Most tokens to generate")->capture_default_str();
  cmd->add_option("--temperature", args->temperature, "0 = greedy; otherwise sampling temperature")
      ->capture_default_str();
  cmd->add_option("--top_p", args->top_p, "Nucleus sampling mass in (0, 1] (1 = off)")->capture_default_str();
  add_option_checked(*cmd, "--seed", args->seed, "Sampling seed")->capture_default_str();
  cmd->add_option("--bf16", args->bf16, "Weights and GEMMs in bf16 (true/false)")->capture_default_str();
  cmd->add_option("--stop_token_ids", args->stop_token_ids, "Extra ids that end generation")
      ->delimiter(',');
  cmd->callback([args] { run_generate(*args); });
}

}  // namespace ft::cli
