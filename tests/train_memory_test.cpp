// Planned memory against measured peak RSS: `finetune train` on a `finetune init` model whose
// weights dominate the process (31M parameters, vocabulary 32000), LoRA and full, fp32 and bf16,
// with and without gradient checkpointing; each run's peak RSS (VmHWM, as metrics.jsonl records
// it) must be within 15% of the plan it printed, and `finetune inspect --train` must print the
// same model-side plan; loading holds the weights, not the weights and the mapped file. Memory is
// not timing, so this is a test; it stays out of the ASan pass (ASan's shadow memory and
// redzones are not the engine's).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>

#include "core/process_memory.h"
#include "formats/safetensors.h"
#include "model/config.h"
#include "model/weights.h"
#include "test_support.h"

namespace {
namespace fs = std::filesystem;
using ft::test::run_finetune;

// Hidden 384, 4 layers, GQA 6/2, vocabulary 32000: 123 MB of fp32 weights (half in the
// embeddings and LM head) next to a ~30 MB process baseline, and steps of about a second.
constexpr const char* kConfig = R"({"architectures": ["LlamaForCausalLM"], "model_type": "llama",
  "hidden_size": 384, "intermediate_size": 1024, "num_hidden_layers": 4, "num_attention_heads": 6,
  "num_key_value_heads": 2, "vocab_size": 32000, "max_position_embeddings": 512,
  "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "tie_word_embeddings": false, "bos_token_id": 1,
  "eos_token_id": 2, "torch_dtype": "float32"})";

struct TrainMemory : ::testing::Test {
  static fs::path model;

  static void SetUpTestSuite() {
    const fs::path root = ft::test::scratch_dir();
    fs::create_directories(root / "tokenizer");
    fs::copy_file(ft::test::fixtures_dir() / "tokenizers" / "trained_metaspace.tokenizer.json",
                  root / "tokenizer" / "tokenizer.json");
    ft::test::write_file(root / "config.json", kConfig);
    model = root / "model";
    const auto r = run_finetune("init --config " + (root / "config.json").string() + " --tokenizer " +
                                (root / "tokenizer").string() + " --output_dir " + model.string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }

  // Train flags of one case; the data's longest record is truncated to --max_seq_length, so
  // the planned micro-batch is what the run allocates. The plan is for batches whose targets all
  // count: with masked prompts the LM head skips their rows and touches less than planned.
  static std::string flags(const std::string& extra) {
    return "--model_name_or_path " + model.string() + " --train_file " +
           (ft::test::fixtures_dir() / "data" / "alpaca_small.json").string() +
           " --per_device_train_batch_size 2 --max_seq_length 128 --train_on_inputs true " + extra;
  }
};
fs::path TrainMemory::model;

double planned_mib(const std::string& output) {
  std::smatch m;
  const std::regex line(R"(memory \(planned peak per process[^)]*\): ([0-9.]+) MiB)");
  if (!std::regex_search(output, m, line)) return -1;
  return std::stod(m[1]);
}

// The plan's lines that do not depend on what the process measured.
std::string model_side_lines(const std::string& output) {
  std::istringstream in(output);
  std::string line, kept;
  while (std::getline(in, line))
    if (line.rfind("    ", 0) == 0 && line.find("measured") == std::string::npos) kept += line + "\n";
  return kept;
}

double measured_peak_mib(const fs::path& out) {
  std::istringstream in(ft::test::read_file(out / "metrics.jsonl"));
  double peak = -1;
  for (std::string line; std::getline(in, line);) {
    const auto j = nlohmann::json::parse(line);
    if (j.contains("peak_rss_bytes")) peak = std::max(peak, j["peak_rss_bytes"].get<double>() / 1048576.0);
  }
  return peak;
}

void check_case(const std::string& extra) {
  const fs::path out = ft::test::scratch_dir() / "out";
  const auto r = run_finetune("train " + TrainMemory::flags(extra) + " --output_dir " + out.string() +
                              " --do_train --max_steps 2 --logging_steps 1 --save_strategy no --report_to none");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const double planned = planned_mib(r.output), measured = measured_peak_mib(out);
  ASSERT_GT(planned, 0) << r.output;
  ASSERT_GT(measured, 0);
  std::printf("%s: planned %.1f MiB, measured %.1f MiB (%+.1f%%)\n", extra.c_str(), planned, measured,
              100.0 * (measured / planned - 1.0));
  EXPECT_LE(std::abs(measured / planned - 1.0), 0.15)
      << extra << ": planned " << planned << " MiB, measured " << measured << " MiB\n" << r.output;

  const auto inspect = run_finetune("inspect --train " + TrainMemory::flags(extra));
  ASSERT_EQ(inspect.exit_code, 0) << inspect.output;
  EXPECT_EQ(model_side_lines(inspect.output), model_side_lines(r.output));
  EXPECT_NE(model_side_lines(inspect.output), "");
}

TEST_F(TrainMemory, LoraFp32WithinFifteenPercentOfThePlan) { check_case("--use_lora true"); }
TEST_F(TrainMemory, LoraBf16CheckpointingWithinFifteenPercentOfThePlan) {
  check_case("--use_lora true --bf16 true --gradient_checkpointing true --lora_target_modules all-linear");
}
TEST_F(TrainMemory, FullFp32WithinFifteenPercentOfThePlan) { check_case("--use_lora false"); }
TEST_F(TrainMemory, FullBf16WithinFifteenPercentOfThePlan) { check_case("--use_lora false --bf16 true"); }

// Loading converts tensor by tensor out of the mapped file; the file's pages are dropped as they
// are copied, so while the store is still open the process holds the weights, not weights + file.
TEST_F(TrainMemory, LoadingHoldsTheWeightsNotTheFile) {
  const ft::ModelConfig config = ft::load_model_config((model / "config.json").string());
  const auto file_bytes = static_cast<int64_t>(fs::file_size(model / "model.safetensors"));
  const int64_t before = ft::resident_bytes();
  const ft::WeightStore store = ft::WeightStore::open_dir(model.string());
  const ft::ModelWeights weights = ft::load_weights(store, config, ft::DType::BF16);
  const int64_t grown = ft::resident_bytes() - before;
  const auto weight_bytes = static_cast<int64_t>(weights.storage.size());
  EXPECT_GT(grown, weight_bytes / 2);  // the copy is resident (the check can see memory)
  EXPECT_LT(grown, weight_bytes + file_bytes / 4) << "weights " << weight_bytes << ", file " << file_bytes;
}

TEST_F(TrainMemory, InspectTrainRejectsUnknownFlags) {
  const auto r = run_finetune("inspect --train " + flags("--lora_rnak 4"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("did you mean --lora_rank"), std::string::npos) << r.output;
}

}  // namespace
