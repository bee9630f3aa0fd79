// `finetune bench` end to end on a tiny model made on the fly: it times steps from the model's
// weights or from config.json alone, LoRA or full, fp32 or bf16, and refuses bad flags in one line.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "test_support.h"
#include "train_test_support.h"

namespace {
namespace fs = std::filesystem;
using ft::test::run_finetune;

struct BenchCli : ::testing::Test {
  fs::path root = ft::test::scratch_dir();
  fs::path model = ft::test::make_tiny_model_dir(root / "model");
  std::string base(const fs::path& dir) const {
    return "bench --model_name_or_path " + dir.string() +
           " --per_device_train_batch_size 2 --max_seq_length 32 --bench_warmup 1 --bench_steps 2";
  }
};

TEST_F(BenchCli, TimesStepsOfTheModelAndReportsThroughputAndMemory) {
  const auto r = run_finetune(base(model));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("its weights in fp32, LoRA r=8 on q_proj v_proj"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("GEMM: oneDNN"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("(warm-up, not timed)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("step 3:"), std::string::npos) << r.output;
  // Throughput, model FLOPs and utilisation come from the timed steps and the measured peak.
  const std::regex result(R"(result: 2 x 32 tokens per step, median [0-9.]+ s of 2 \([0-9.]+-[0-9.]+ s\): [0-9.]+ tokens/s; )"
                          R"([0-9.]+ MFLOP per token = [0-9.]+ GFLOP/s, [0-9]+% of the [a-z0-9_+]+ peak)");
  EXPECT_TRUE(std::regex_search(r.output, result)) << r.output;
  EXPECT_TRUE(std::regex_search(r.output, std::regex(R"(memory: peak RSS [0-9.]+ MiB; planned [0-9.]+ MiB)")))
      << r.output;
}

TEST_F(BenchCli, RandomWeightsNeedOnlyTheConfig) {
  fs::create_directories(root / "config_only");
  fs::copy_file(model / "config.json", root / "config_only" / "config.json");
  auto r = run_finetune(base(root / "config_only"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("config_only: has neither model.safetensors"), std::string::npos) << r.output;
  r = run_finetune(base(root / "config_only") +
                   " --random_weights --use_lora false --bf16 true --gradient_checkpointing true");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("random weights in bf16, full fine-tuning"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("result:"), std::string::npos) << r.output;
}

TEST_F(BenchCli, TakesATrainCommandLineAndRefusesBadFlags) {
  // The flags of the run it stands for are accepted; the data ones are noted as unread.
  auto r = run_finetune(base(model) + " --train_file missing.json --output_dir " + (root / "out").string() +
                        " --do_train --learning_rate 1e-4 --lora_target_modules all-linear");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("note: bench steps on random tokens; the data flags are not read"), std::string::npos);
  EXPECT_NE(r.output.find("LoRA r=8 on q_proj k_proj v_proj o_proj gate_proj up_proj down_proj"),
            std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(root / "out"));
  for (const auto& [flags, expected] :
       {std::pair{" --bench_steps 0", "error: --bench_steps must be at least 1"},
        {" --bench_warmup -1", "error: --bench_warmup must be 0 or more"},
        {" --bench_step 2", "unknown flag --bench_step; did you mean --bench_steps?"},
        {" --lora_target_modules vproj", "vproj"},
        {" --random_weights maybe", "--random_weights"},
        // 0 reached the model's planner ("Model::plan: empty batch"), -5 an out-of-memory message.
        {" --max_seq_length 0", "--max_seq_length 0 is too small; use 8 or more"},
        {" --max_seq_length -5", "--max_seq_length -5 is too small"}}) {
    r = run_finetune(base(model) + flags);
    EXPECT_EQ(r.exit_code, 1) << flags << "\n" << r.output;
    EXPECT_NE(r.output.find(expected), std::string::npos) << flags << "\n" << r.output;
    EXPECT_EQ(r.output.find("step 1:"), std::string::npos) << r.output;
  }
}

}  // namespace
