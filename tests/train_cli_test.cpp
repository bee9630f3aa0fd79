// `finetune train` and `finetune eval` end to end on a tiny model made on the fly: flags, config
// files, dry runs, outputs, refusing to clobber, exact resume after SIGKILL and after SIGTERM.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "cli/memory_report.h"
#include "core/process_memory.h"
#include "formats/safetensors.h"
#include "model/config.h"
#include "test_support.h"
#include "train/checkpoint.h"
#include "train_test_support.h"

namespace {
namespace fs = std::filesystem;
using ft::test::read_file;
using ft::test::run_finetune;

struct TrainFixture : ::testing::Test {
  fs::path root = ft::test::scratch_dir();
  fs::path model = ft::test::make_tiny_model_dir(root / "model");
  std::string data = (ft::test::fixtures_dir() / "data" / "alpaca_small.json").string();

  // Replaces the model's weights with seeded random ones, one of them NaN if asked.
  void write_weights(bool nan_in_the_final_norm) const {
    const ft::ModelConfig c = ft::parse_model_config(read_file(model / "config.json"), "config.json");
    const auto specs = ft::weight_specs(c);
    auto values = ft::test::random_tensors(c, 11);
    std::vector<ft::TensorToWrite> tensors;
    for (size_t i = 0; i < specs.size(); ++i) {
      if (nan_in_the_final_norm && specs[i].name == "model.norm.weight") values[i][0] = std::nanf("");
      tensors.push_back({specs[i].name, ft::DType::F32, specs[i].shape, std::as_bytes(std::span(values[i]))});
    }
    ft::write_safetensors((model / "model.safetensors").string(), tensors);
  }

  std::string base(const fs::path& out) const {
    return "train --model_name_or_path " + model.string() + " --train_file " + data + " --output_dir " +
           out.string() + " --do_train --per_device_train_batch_size 2 --learning_rate 5e-3 --seed 3 "
           "--max_seq_length 256 --report_to none --lora_rank 4 --lora_dropout 0.1";
  }
};

nlohmann::json read_json(const fs::path& p) { return nlohmann::json::parse(read_file(p)); }

TEST_F(TrainFixture, DryRunPrintsThePlanAndTrainsNothing) {
  const auto r = run_finetune(base(root / "out") + " --validation_split_percentage 0.2 --dry_run");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("plan:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("8 train records"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("optimizer steps"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("GiB"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(root / "out" / "adapter_model.safetensors"));
}

// Past PATH_MAX every file of the run failed with a raw "filesystem error: ... File name too long".
TEST_F(TrainFixture, AnOutputDirTooLongForItsFilesIsRefusedByName) {
  const fs::path deep = root / std::string(200, 'd') / std::string(200, 'e') / std::string(200, 'f') /
                        std::string(200, 'g') / std::string(200, 'h') / std::string(200, 'i') / std::string(200, 'j') /
                        std::string(200, 'k') / std::string(200, 'l') / std::string(200, 'm') / std::string(200, 'n') /
                        std::string(200, 'o') / std::string(200, 'p') / std::string(200, 'q') / std::string(200, 'r') /
                        std::string(200, 's') / std::string(200, 't') / std::string(200, 'u') / std::string(200, 'v') /
                        std::string(150, 'w');
  const auto r = run_finetune(base(deep) + " --max_steps 1");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(r.output.rfind("error: --output_dir is ", 0), 0u) << r.output;
  EXPECT_NE(r.output.find("use a shorter path"), std::string::npos) << r.output;
}

TEST_F(TrainFixture, ACacheDirectoryThatCannotBeWrittenIsAWarning) {
  ft::test::write_file(root / "a_file", "x");
  const auto r = run_finetune(base(root / "out") + " --cache_dir " + (root / "a_file" / "cache").string() + " --dry_run");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("warning: cannot create the token cache directory"), std::string::npos) << r.output;
}

TEST_F(TrainFixture, SequencesPastThePretrainedPositionsAreNoted) {
  auto r = run_finetune(base(root / "out") + " --max_seq_length 1024 --dry_run");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("note: --max_seq_length 1024 is beyond the model's max_position_embeddings 512"),
            std::string::npos)
      << r.output;
  r = run_finetune(base(root / "out") + " --max_seq_length 512 --dry_run");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("max_position_embeddings"), std::string::npos) << r.output;
}

TEST_F(TrainFixture, BadFlagsAreOneLineErrors) {
  auto r = run_finetune(base(root / "out") + " --lerning_rate 1e-4 --dry_run");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("unknown flag --lerning_rate; did you mean --learning_rate?"), std::string::npos) << r.output;
  r = run_finetune(base(root / "out") + " --lora_target_modules q_proj vproj --dry_run");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("vproj"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("v_proj"), std::string::npos) << r.output;
  r = run_finetune(base(root / "out") + " --bf16 maybe --dry_run");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("--bf16"), std::string::npos) << r.output;
  r = run_finetune(base(root / "out") + " --per_device_train_batch_size two --dry_run");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("two; see finetune train --help\n"), std::string::npos) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  r = run_finetune("train --model_name_or_path");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_NE(r.output.find("--model_name_or_path"), std::string::npos) << r.output;
  r = run_finetune(base(root / "out") + " --do_eval --dry_run");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("--validation_split_percentage"), std::string::npos) << r.output;
}

// Values past any real run used to wrap around in 64-bit arithmetic: 1e300 epochs planned one
// step, a batch of 1e11 rows passed the dry run and ended in std::bad_alloc.
TEST_F(TrainFixture, SizesPastAnyRunAreRefusedByName) {
  for (const auto& [flags, expected] :
       {std::pair{" --num_train_epochs 1e300", "--num_train_epochs must be at most 1000000"},
        {" --num_train_epochs inf", "--num_train_epochs must be at most 1000000"},
        {" --per_device_train_batch_size 99999999999", "--per_device_train_batch_size must be between 1 and 65536"},
        {" --gradient_accumulation_steps 99999999999", "--gradient_accumulation_steps must be between 1"},
        // CLI11 read an empty number as the default, and -1 or 1e20 as the seed 2^64 - 1.
        {" --learning_rate ''", "--learning_rate: needs a number, got an empty value"},
        {" --seed -1", "--seed: must be a whole number from 0 to 18446744073709551615, got -1"},
        {" --dataset_seed 99999999999999999999", "--dataset_seed: must be a whole number"},
        // 1e10 s overflowed the milliseconds into an instant timeout, which exits 200 (retry).
        {" --dist_timeout 1e10", "--dist_timeout must be a number of seconds in (0, 604800]"}}) {
    const auto r = run_finetune(base(root / "out") + flags + " --dry_run");
    EXPECT_EQ(r.exit_code, 1) << flags << "\n" << r.output;
    EXPECT_NE(r.output.find(expected), std::string::npos) << flags << "\n" << r.output;
  }
}

// Each way a split can end up empty names the flag that emptied it (the validation share used to
// be reported as "lower --max_seq_length or use --packing document", an empty --max_eval_samples
// split as a missing --validation_split_percentage).
TEST_F(TrainFixture, AnEmptySplitNamesTheFlagThatEmptiedIt) {
  for (const auto& [flags, expected] :
       {std::pair{" --validation_split_percentage 99.9", "--validation_split_percentage 99.9 holds out all 10 records"},
        {" --max_train_samples 0", "--max_train_samples 0 leaves no training record"},
        {" --do_eval --validation_split_percentage 50 --max_eval_samples 0",
         "--do_eval: --max_eval_samples 0 leaves no validation record"},
        {" --do_eval", "--do_eval: no validation data: give --validation_split_percentage 20"}}) {
    const auto r = run_finetune(base(root / "out") + flags + " --dry_run");
    EXPECT_EQ(r.exit_code, 1) << flags << "\n" << r.output;
    EXPECT_NE(r.output.find(expected), std::string::npos) << flags << "\n" << r.output;
  }
}

// Evaluation data whose prompts fill the window has no target token: eval printed a NaN loss and
// exited 0, and a training run's evaluation did the same.
TEST_F(TrainFixture, EvaluationWithoutTargetTokensIsRefused) {
  const fs::path prompts = root / "long_prompts.json";
  std::string records = "[";
  for (int i = 0; i < 4; ++i)
    records += std::string(i ? "," : "") + R"({"instruction": ")" + std::string(2000, 'x') + R"(", "output": "z"})";
  ft::test::write_file(prompts, records + "]");
  auto r = run_finetune("eval --model_name_or_path " + model.string() + " --train_file " + prompts.string() +
                        " --max_seq_length 64");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("no data record keeps a response token within --max_seq_length 64"), std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("nan"), std::string::npos) << r.output;
  r = run_finetune(base(root / "out") + " --do_eval --validation_file " + prompts.string() + " --dry_run");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("--do_eval: no validation record keeps a response token"), std::string::npos) << r.output;
}

// A file where the output directory should be surfaced as the token cache's write error or as
// std::filesystem's raw "cannot create directories: Not a directory".
TEST_F(TrainFixture, OutputDirThatIsAFileIsNamedAsSuch) {
  ft::test::write_file(root / "afile", "x");
  for (const std::string& command :
       {base(root / "afile") + " --max_steps 1",
        "eval --model_name_or_path " + model.string() + " --train_file " + data + " --output_dir " +
            (root / "afile").string()}) {
    const auto r = run_finetune(command);
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("--output_dir " + (root / "afile").string() + " is a file, not a directory"),
              std::string::npos) << r.output;
  }
  EXPECT_EQ(read_file(root / "afile"), "x");
  // Below a file: the directory cannot be created (a raw std::filesystem message before).
  const auto r = run_finetune(base(root / "afile" / "out") + " --max_steps 1");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(r.output.rfind("error: --output_dir " + (root / "afile" / "out").string() + ": cannot create it: " +
                               (root / "afile").string() + " is a file",
                           0),
            0u)
      << r.output;
}

// NaN weights made eval print {'eval_loss': nan} and exit 0.
TEST_F(TrainFixture, EvalOfAModelWithNanWeightsIsAnError) {
  write_weights(/*nan_in_the_final_norm=*/true);
  const auto r = run_finetune("eval --model_name_or_path " + model.string() + " --train_file " + data);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("error: the loss is NaN: the model's weights hold NaN or Inf values"), std::string::npos)
      << r.output;
}

// NaN weights made train log {'loss': nan} at every step and save a NaN adapter with exit 0. Now
// each such step applies no update, and three in a row stop the run.
TEST_F(TrainFixture, TrainingStopsWhenTheLossStaysNotFinite) {
  write_weights(/*nan_in_the_final_norm=*/true);
  const std::string flags = " --max_steps 10 --logging_steps 1 --save_strategy steps --save_steps 1";
  const auto r = run_finetune(base(root / "out") + flags);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  for (const char* step : {"1", "2", "3"})
    EXPECT_NE(r.output.find(std::string("warning: step ") + step +
                            ": the loss is NaN and the gradient norm NaN; its update was skipped"),
              std::string::npos)
        << r.output;
  EXPECT_NE(r.output.find("error: training stopped at step 3: the loss is NaN and the gradient norm NaN for 3 "
                          "steps in a row"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("warning: step 4"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(root / "out" / "adapter_model.safetensors"));
  // It said step 0 and a negative elapsed time (read from the progress bar after it was gone).
  const nlohmann::json status = read_json(root / "out" / "status.json");
  EXPECT_EQ(status["phase"], "failed") << status.dump();
  EXPECT_EQ(status["step"], 3) << status.dump();
  EXPECT_GE(status["elapsed_seconds"].get<double>(), 0.0) << status.dump();
  // The checkpoints it wrote resume (a NaN summed into total_loss was saved as null and every
  // later checkpoint failed to load), once the weights are mended.
  write_weights(/*nan_in_the_final_norm=*/false);
  const auto resumed = run_finetune(base(root / "out") + flags + " --resume_from_checkpoint auto");
  EXPECT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("resuming from"), std::string::npos) << resumed.output;
  const nlohmann::json results = read_json(root / "out" / "train_results.json");
  EXPECT_TRUE(results["train_loss"].is_number()) << results.dump();
}

// Two runs given one --output_dir both "succeeded", interleaving checkpoints and metrics and
// leaving one run's adapter: the second is now refused while the first holds the directory.
TEST_F(TrainFixture, ASecondRunInTheSameOutputDirIsRefused) {
  fs::create_directories(root / "out");
  const int fd = ::open((root / "out" / ".finetune.lock").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  ASSERT_EQ(::write(fd, "4242", 4), 4);
  auto r = run_finetune(base(root / "out") + " --max_steps 1");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("is in use by another finetune run (pid 4242)"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(root / "out" / "adapter_model.safetensors"));
  ::close(fd);  // the first run ends: the directory is free again
  r = run_finetune(base(root / "out") + " --max_steps 1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

// --overwrite_output_dir with --output_dir set to the model's own directory deleted the model's
// weights (as "the previous run") and then failed to load them.
TEST_F(TrainFixture, OutputDirThatIsTheModelDirectoryIsRefused) {
  for (const char* extra : {"", " --overwrite_output_dir true"}) {
    const auto r = run_finetune(base(model) + extra + " --max_steps 1");
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("is the model directory (--model_name_or_path)"), std::string::npos) << r.output;
    EXPECT_TRUE(fs::exists(model / "model.safetensors"));
  }
}

// A run the machine cannot hold was only found out by std::bad_alloc (or the OOM killer) after
// loading; a plan more than 25% above the limit (beyond the plan's own error) is refused first.
TEST(MemoryReport, RefusesOnlyAPlanClearlyAboveTheMachinesMemory) {
  ft::MemoryPlan plan;
  plan.weights = int64_t{100} << 20;
  EXPECT_EQ(ft::test::error_of([&] { ft::cli::check_plan_fits(plan, 0); }), "(no error)");  // unknown
  EXPECT_EQ(ft::test::error_of([&] { ft::cli::check_plan_fits(plan, int64_t{81} << 20); }), "(no error)");
  const std::string refused = ft::test::error_of([&] { ft::cli::check_plan_fits(plan, int64_t{50} << 20); });
  for (const char* part : {"planned peak memory, 100.0 MiB, is far above the 50.0 MiB", "--per_device_train_batch_size",
                           "--gradient_checkpointing true"})
    EXPECT_NE(refused.find(part), std::string::npos) << refused;
  EXPECT_GT(ft::memory_limit_bytes(), int64_t{64} << 20);  // this machine's, or its container's
}

TEST_F(TrainFixture, FullFinetuneUnderBf16SavesTheFp32Weights) {
  const auto r = run_finetune(base(root / "full") + " --use_lora False --bf16 True --max_steps 2 --learning_rate 1e-4");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto store = ft::WeightStore::open_dir((root / "full").string());
  const auto& w = store.require("model.layers.0.self_attn.q_proj.weight");
  ASSERT_EQ(w.dtype, ft::DType::F32);
  // The bf16 run starts from bf16-rounded weights; a few fp32 AdamW steps leave values that bf16
  // cannot hold. Saving them rounded would lose what training did.
  std::vector<float> values(w.bytes.size() / sizeof(float));
  ft::WeightStore::copy_to_f32(w, values.data());
  const auto beyond_bf16 = std::count_if(values.begin(), values.end(), [](float v) {
    return (std::bit_cast<uint32_t>(v) & 0xffffu) != 0;
  });
  EXPECT_GT(beyond_bf16, int64_t(values.size()) / 2);
  EXPECT_EQ(read_json(root / "full" / "config.json")["torch_dtype"], "float32");
}

TEST(Cli, AnUnknownCommandIsAUsageErrorWithASuggestion) {
  for (const char* args : {"trian --help", "trian", "nosuch --output_dir x"}) {
    const auto r = run_finetune(args);
    EXPECT_EQ(r.exit_code, 1) << args << ": " << r.output;
    EXPECT_NE(r.output.find("unknown command"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("Subcommands:"), std::string::npos) << "no help dump for " << args;
  }
  EXPECT_NE(run_finetune("trian").output.find("did you mean 'train'?"), std::string::npos);
  EXPECT_EQ(run_finetune("nosuch").output.find("did you mean"), std::string::npos);
  const auto help = run_finetune("--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("finetune [OPTIONS] SUBCOMMAND"), std::string::npos) << help.output;
}

TEST_F(TrainFixture, ReferenceSpellingsAndOldStackFlagsAreAccepted) {
  const auto r = run_finetune(base(root / "out") +
                              " --bf16=True --do_eval=true --validation_split_percentage=20 --use_ipex true"
                              " --ddp_backend ccl --no_cuda --use_fast_tokenizer False --max_steps=-1"
                              " --lora_target_modules q_proj v_proj --dry_run");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("note: --use_ipex"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("note: --ddp_backend"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("weights in bf16"), std::string::npos) << r.output;
}

TEST_F(TrainFixture, ConfigFileWithFlagOverrides) {
  ft::test::write_file(root / "run.yaml", "max_steps: 7\nlearning_rate: 1e-3\nlora_target_modules: [q_proj, k_proj]\n");
  const auto r = run_finetune(base(root / "out") + " --config " + (root / "run.yaml").string() + " --dry_run");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("7 optimizer steps"), std::string::npos) << r.output;
  const auto typed = run_finetune(base(root / "out") + " --config " + (root / "run.yaml").string() +
                                  " --max_steps 5 --dry_run");
  EXPECT_NE(typed.output.find("5 optimizer steps"), std::string::npos) << typed.output;
  ft::test::write_file(root / "bad.yaml", "max_stepz: 7\n");
  const auto bad = run_finetune(base(root / "out") + " --config " + (root / "bad.yaml").string() + " --dry_run");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.output.find("bad.yaml"), std::string::npos) << bad.output;
  EXPECT_NE(bad.output.find("--max_steps"), std::string::npos) << bad.output;
}

TEST_F(TrainFixture, TrainingWritesTheRunAndRefusesToClobberIt) {
  const fs::path out = root / "out";
  const std::string args = base(out) + " --do_eval --validation_split_percentage 20 --max_steps 6"
                                       " --logging_steps 2 --save_steps 3 --save_total_limit 1 --report_to tensorboard";
  const auto r = run_finetune(args);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("{'loss': "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("'learning_rate': "), std::string::npos) << r.output;
  for (const char* f : {"adapter_config.json", "adapter_model.safetensors", "tokenizer.json", "trainer_state.json",
                        "train_results.json", "eval_results.json", "all_results.json", "metrics.jsonl",
                        "run_config.json", "status.json"})
    EXPECT_TRUE(fs::exists(out / f)) << f;
  EXPECT_FALSE(fs::exists(out / "checkpoint-3"));  // --save_total_limit 1
  EXPECT_EQ(ft::checkpoint_problem((out / "checkpoint-6").string()), "");
  EXPECT_TRUE(fs::exists(out / "checkpoint-6" / "adapter_model.safetensors"));
  EXPECT_TRUE(fs::exists(out / "runs"));

  const auto state = read_json(out / "trainer_state.json");
  EXPECT_EQ(state["global_step"], 6);
  // total_flos as the Transformers Trainer counts it: 6 · input tokens (padding included) · the
  // parameters other than the embedding's, adapters included; the same in both result files.
  const ft::ModelConfig config = ft::load_model_config((model / "config.json").string());
  const double parameters = double(config.parameter_count() - int64_t{config.vocab_size} * config.hidden_size) +
                            read_json(out / "run_config.json")["model"]["trainable_parameters"].get<double>();
  const double flos = state["total_flos"].get<double>(), padded_tokens = flos / (6.0 * parameters);
  EXPECT_EQ(read_json(out / "train_results.json")["total_flos"].get<double>(), flos);
  EXPECT_NEAR(padded_tokens, std::round(padded_tokens), 1e-6 * padded_tokens);
  EXPECT_GE(padded_tokens, state["num_input_tokens_seen"].get<double>());
  EXPECT_LE(padded_tokens, 6 * 2 * 256);  // steps × batch × --max_seq_length
  int train_logs = 0;
  for (const auto& e : state["log_history"]) train_logs += e.contains("loss");
  EXPECT_EQ(train_logs, 3);
  const auto results = read_json(out / "all_results.json");
  EXPECT_NEAR(results["perplexity"].get<double>(), std::exp(results["eval_loss"].get<double>()), 1e-9);
  EXPECT_EQ(read_json(out / "status.json")["phase"], "completed");
  const auto adapter = read_json(out / "adapter_config.json");
  EXPECT_EQ(adapter["r"], 4);

  const auto again = run_finetune(args);
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.output.find("--overwrite_output_dir"), std::string::npos) << again.output;
  const auto over = run_finetune(args + " --overwrite_output_dir true --resume_from_checkpoint ''");
  EXPECT_EQ(over.exit_code, 0) << over.output;
}

// The uninterrupted run's adapter, for the resume tests.
std::string reference_adapter(const TrainFixture& f, const std::string& args, const fs::path& out) {
  const auto r = run_finetune(args);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  (void)f;
  return read_file(out / "adapter_model.safetensors");
}

TEST_F(TrainFixture, ResumeFromAnEarlierCheckpointIsByteExact) {
  const std::string common = " --max_steps 8 --save_steps 2 --logging_steps 1 --gradient_accumulation_steps 2";
  const std::string expected = reference_adapter(*this, base(root / "a") + common, root / "a");
  // Simulate a crash right after checkpoint-4: later state and outputs gone.
  const auto r = run_finetune(base(root / "b") + common);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* f : {"checkpoint-6", "checkpoint-8", "adapter_model.safetensors", "adapter_config.json",
                        "train_results.json", "all_results.json"})
    fs::remove_all(root / "b" / f);
  const auto resumed = run_finetune(base(root / "b") + common + " --resume_from_checkpoint auto");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("resuming from"), std::string::npos) << resumed.output;
  EXPECT_EQ(read_file(root / "b" / "adapter_model.safetensors"), expected);
  const auto train_logs = [](const fs::path& dir) {
    nlohmann::json logs = nlohmann::json::array();
    const nlohmann::json state = read_json(dir / "trainer_state.json");
    for (const auto& e : state["log_history"])
      if (e.contains("loss")) logs.push_back(e);
    return logs;
  };
  EXPECT_EQ(train_logs(root / "b"), train_logs(root / "a"));
  EXPECT_EQ(read_json(root / "b" / "trainer_state.json")["total_flos"],
            read_json(root / "a" / "trainer_state.json")["total_flos"]);
  EXPECT_GT(train_logs(root / "a")[0]["loss"].get<double>(), 1.0);
}

// Waits until `dir` holds a complete checkpoint at or after `step`, or the process ends.
bool wait_for_checkpoint(const fs::path& dir, int step, pid_t pid) {
  for (int i = 0; i < 3000; ++i) {
    for (const auto& c : ft::list_checkpoints(dir.string()))
      if (std::stoi(fs::path(c).filename().string().substr(11)) >= step && ft::checkpoint_problem(c).empty())
        return true;
    if (waitpid(pid, nullptr, WNOHANG) == pid) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST_F(TrainFixture, SigkillAtARandomStepThenResumeGivesTheSameAdapter) {
  const std::string common = " --max_steps 60 --save_steps 1 --save_total_limit 2 --logging_steps 5";
  const std::string expected = reference_adapter(*this, base(root / "a") + common, root / "a");
  std::mt19937 rng(static_cast<unsigned>(std::random_device{}()));
  const int kill_after = 3 + int(rng() % 40);
  const pid_t pid = ft::test::spawn_finetune(base(root / "b") + common, root / "b.log");
  ASSERT_TRUE(wait_for_checkpoint(root / "b", kill_after, pid)) << read_file(root / "b.log");
  std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 20));
  kill(pid, SIGKILL);
  EXPECT_EQ(ft::test::wait_exit_code(pid), 128 + SIGKILL);
  const auto resumed = run_finetune(base(root / "b") + common + " --resume_from_checkpoint auto");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(read_file(root / "b" / "adapter_model.safetensors"), expected) << "killed after step " << kill_after;
}

TEST_F(TrainFixture, SigtermCheckpointsAndExits143) {
  const std::string common = " --max_steps 40 --save_strategy no --logging_steps 10";
  const pid_t pid = ft::test::spawn_finetune(base(root / "b") + common, root / "b.log");
  // Let it start training, then stop it as Kubernetes would.
  for (int i = 0; i < 3000 && !fs::exists(root / "b" / "status.json"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  kill(pid, SIGTERM);
  const int code = ft::test::wait_exit_code(pid);
  const std::string log = read_file(root / "b.log");
  if (code == 0) GTEST_SKIP() << "the run finished before SIGTERM arrived";
  EXPECT_EQ(code, 143) << log;
  EXPECT_NE(log.find("stopped by SIGTERM"), std::string::npos) << log;
  const auto newest = ft::newest_complete_checkpoint((root / "b").string());
  ASSERT_TRUE(newest.has_value()) << log;
  // status.json said "saving" with no checkpoint after a stop, though one had been written.
  const nlohmann::json status = read_json(root / "b" / "status.json");
  EXPECT_EQ(status["phase"], "stopped") << status.dump();
  EXPECT_EQ(status["last_checkpoint"], *newest) << status.dump();
  EXPECT_NE(status["message"].get<std::string>().find("stopped by SIGTERM"), std::string::npos) << status.dump();
  const auto resumed = run_finetune(base(root / "b") + common + " --resume_from_checkpoint auto");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  const std::string expected = reference_adapter(*this, base(root / "a") + common, root / "a");
  EXPECT_EQ(read_file(root / "b" / "adapter_model.safetensors"), expected);
}

TEST_F(TrainFixture, EvalCommandMatchesTheTrainingRunsEvaluation) {
  const fs::path out = root / "out";
  const std::string split = " --validation_split_percentage 20 --max_seq_length 256";
  const auto r = run_finetune(base(out) + " --do_eval --max_steps 3" + split);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const double trained = read_json(out / "eval_results.json")["eval_loss"];
  for (const char* variant : {" --per_device_eval_batch_size 1 --packing none",
                              " --per_device_eval_batch_size 3 --packing document"}) {
    const auto e = run_finetune("eval --model_name_or_path " + model.string() + " --adapter " + out.string() +
                                " --train_file " + data + split + variant + " --output_dir " + (root / "e").string());
    ASSERT_EQ(e.exit_code, 0) << e.output;
    EXPECT_NEAR(read_json(root / "e" / "eval_results.json")["eval_loss"].get<double>(), trained, 2e-5) << variant;
  }
}

}  // namespace
