// The pieces of `finetune train` below the CLI: step arithmetic, checkpoints (atomic, verified,
// rotated), the output-directory decision, config files and flag suggestions.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "cli/config_file.h"
#include "cli/flag_values.h"
#include "core/error.h"
#include "test_support.h"
#include "train/checkpoint.h"
#include "train/data_position.h"
#include "train/output_dir.h"
#include "train/run_log.h"
#include "train/train_options.h"

namespace {
namespace fs = std::filesystem;
using ft::test::scratch_dir;
using ft::test::write_file;

TEST(StepPlan, EpochEndsWithAShorterAccumulation) {
  ft::TrainOptions o;
  o.gradient_accumulation_steps = 4;
  o.num_train_epochs = 2;
  const ft::StepPlan p = ft::plan_steps(o, 10);  // 10 micro-batches: steps of 4, 4, 2
  EXPECT_EQ(p.steps_per_epoch, 3);
  EXPECT_EQ(p.total_steps, 6);
  const ft::StepPositions positions(10, 1, 4);  // 10 sequences in micro-batches of 1
  EXPECT_EQ(positions.before(3).epoch, 1);
  EXPECT_EQ(positions.micro_batch_starts(2).front(), 8);
  EXPECT_EQ(positions.micro_batch_starts(4).front(), 4);
  EXPECT_DOUBLE_EQ(positions.epoch_progress(1), 0.4);
  EXPECT_DOUBLE_EQ(positions.epoch_progress(3), 1.0);
  EXPECT_DOUBLE_EQ(positions.epoch_progress(4), 1.4);
}

TEST(StepPlan, MaxStepsAndFractionalIntervals) {
  ft::TrainOptions o;
  o.max_steps = 50;
  o.logging_steps = 0.1;  // Transformers: a share of all steps
  o.save_steps = 20;
  o.warmup_ratio = 0.1;
  o.eval_strategy = ft::IntervalStrategy::kSteps;
  const ft::StepPlan p = ft::plan_steps(o, 7);
  EXPECT_EQ(p.total_steps, 50);
  EXPECT_EQ(p.logging_interval, 5);
  EXPECT_EQ(p.eval_interval, 5);  // defaults to logging_steps
  EXPECT_EQ(p.save_interval, 20);
  EXPECT_EQ(p.warmup_steps, 5);
  o.num_train_epochs = 1.5;
  o.max_steps = -1;
  EXPECT_EQ(ft::plan_steps(o, 10).total_steps, 15);
}

// The one-line usage error of validate() names `flag`.
void expect_error_naming(const ft::TrainOptions& o, const std::string& flag) {
  try {
    o.validate();
    ADD_FAILURE() << "validate() accepted a bad " << flag;
  } catch (const ft::Error& e) {
    EXPECT_NE(std::string(e.what()).find(flag), std::string::npos) << e.what();
  }
}

TEST(TrainOptions, ValidateNamesTheFlag) {
  ft::TrainOptions o;
  o.do_train = true;
  o.output_dir = "out";
  o.per_device_train_batch_size = 0;
  expect_error_naming(o, "--per_device_train_batch_size");
  o.per_device_train_batch_size = 1;
  o.eval_steps = -5;  // rejected whatever --eval_strategy is
  EXPECT_THROW(o.validate(), ft::Error);
  o.eval_steps = 0;
  EXPECT_NO_THROW(o.validate());
  o.ddp_bucket_cap_mb = 0;
  expect_error_naming(o, "--ddp_bucket_cap_mb");
  o.ddp_bucket_cap_mb = 25;
  o.do_train = false;
  EXPECT_THROW(o.validate(), ft::Error);  // nothing to do
}

std::vector<float> iota_values(size_t n, float start) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = start + 0.25f * float(i);
  return v;
}

TEST(Checkpoint, RoundTripRestoresEveryBuffer) {
  const fs::path out = scratch_dir();
  const auto values = iota_values(37, 1), m = iota_values(37, -3), v = iota_values(37, 9);
  const std::string dir = ft::save_checkpoint(out.string(), 12, {values, m, v, {{"finetune_cpp", {{"global_step", 12}}}}},
                                              [](const std::string& d) { write_file(fs::path(d) / "extra.json", "{}"); });
  EXPECT_EQ(fs::path(dir).filename(), "checkpoint-12");
  EXPECT_TRUE(fs::exists(fs::path(dir) / "extra.json"));
  EXPECT_EQ(ft::checkpoint_problem(dir), "");
  std::vector<float> v2(37), m2(37), s2(37);
  const auto state = ft::load_checkpoint(dir, v2, m2, s2);
  EXPECT_EQ(v2, values);
  EXPECT_EQ(m2, m);
  EXPECT_EQ(s2, v);
  EXPECT_EQ(state["finetune_cpp"]["global_step"], 12);
  for (const auto& e : fs::directory_iterator(out)) EXPECT_EQ(e.path().filename().string().rfind(".", 0), std::string::npos);
}

TEST(Checkpoint, DamageOrMissingManifestMakesItIncomplete) {
  const fs::path out = scratch_dir();
  const auto values = iota_values(8, 0);
  ft::save_checkpoint(out.string(), 1, {values, values, values, {}}, nullptr);
  const std::string two = ft::save_checkpoint(out.string(), 2, {values, values, values, {}}, nullptr);
  const std::string three = ft::save_checkpoint(out.string(), 3, {values, values, values, {}}, nullptr);
  // A flipped byte in checkpoint-3, a checkpoint-2 whose write never finished.
  {
    std::fstream f(fs::path(three) / "optimizer.safetensors", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-1, std::ios::end);
    f.put('\x7f');
  }
  fs::remove(fs::path(two) / "checksums.json");
  EXPECT_NE(ft::checkpoint_problem(three).find("optimizer.safetensors"), std::string::npos);
  EXPECT_NE(ft::checkpoint_problem(two).find("checksums.json"), std::string::npos);
  std::vector<std::string> skipped;
  const auto newest = ft::newest_complete_checkpoint(out.string(), &skipped);
  ASSERT_TRUE(newest.has_value());
  EXPECT_EQ(fs::path(*newest).filename(), "checkpoint-1");
  EXPECT_EQ(skipped.size(), 2u);
  std::vector<float> a(8), b(8), c(8);
  EXPECT_THROW(ft::load_checkpoint(three, a, b, c), ft::Error);
}

TEST(Checkpoint, SizeMismatchIsAClearError) {
  const fs::path out = scratch_dir();
  const auto values = iota_values(8, 0);
  const std::string dir = ft::save_checkpoint(out.string(), 5, {values, values, values, {}}, nullptr);
  std::vector<float> a(9), b(9), c(9);
  try {
    ft::load_checkpoint(dir, a, b, c);
    FAIL();
  } catch (const ft::Error& e) {
    EXPECT_NE(std::string(e.what()).find("trainable values"), std::string::npos) << e.what();
  }
}

// A save that failed (a full disk) left .checkpoint-N.partial holding most of the space left.
TEST(Checkpoint, AFailedSaveLeavesNoPartialDirectory) {
  const fs::path out = scratch_dir();
  const auto values = iota_values(4, 0);
  const auto failing_model_files = [](const std::string& dir) {
    throw ft::Error(ft::kExitUsage, dir + "/adapter_model.safetensors: cannot write (No space left on device)");
  };
  EXPECT_THROW(ft::save_checkpoint(out.string(), 5, {values, values, values, {}}, failing_model_files), ft::Error);
  EXPECT_TRUE(fs::is_empty(out)) << fs::directory_iterator(out)->path();
}

TEST(Checkpoint, RotationKeepsTheNewest) {
  const fs::path out = scratch_dir();
  const auto values = iota_values(4, 0);
  for (int step : {10, 2, 30, 4}) ft::save_checkpoint(out.string(), step, {values, values, values, {}}, nullptr);
  const auto deleted = ft::rotate_checkpoints(out.string(), 2);
  ASSERT_EQ(deleted.size(), 2u);
  for (const auto& d : deleted) EXPECT_EQ(d.problem, "") << d.path;
  EXPECT_EQ(fs::path(deleted[0].path).filename(), "checkpoint-2");
  const auto left = ft::list_checkpoints(out.string());
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(fs::path(left[0]).filename(), "checkpoint-10");
  EXPECT_EQ(fs::path(left[1]).filename(), "checkpoint-30");
}

TEST(OutputDir, FreshEmptyAndMissingDirectoriesStart) {
  const fs::path out = scratch_dir();
  EXPECT_EQ(ft::decide_output_dir((out / "missing").string(), "auto", false, true).resume_from, "");
  EXPECT_EQ(ft::decide_output_dir(out.string(), "", false, true).resume_from, "");
}

TEST(OutputDir, FinishedRunIsNotClobberedWithoutOverwrite) {
  const fs::path out = scratch_dir();
  write_file(out / "adapter_config.json", "{}");
  write_file(out / "metrics.jsonl", "");
  try {
    ft::decide_output_dir(out.string(), "auto", false, true);
    FAIL();
  } catch (const ft::Error& e) {
    EXPECT_NE(std::string(e.what()).find("--overwrite_output_dir"), std::string::npos);
  }
  const auto d = ft::decide_output_dir(out.string(), "auto", true, true);
  EXPECT_TRUE(d.clear_previous);
  ft::clear_previous_run(out.string());
  EXPECT_FALSE(fs::exists(out / "adapter_config.json"));
  EXPECT_FALSE(fs::exists(out / "metrics.jsonl"));
}

TEST(OutputDir, AutoResumesAndNeverClobbers) {
  const fs::path out = scratch_dir();
  const auto values = iota_values(4, 0);
  const std::string ckpt = ft::save_checkpoint(out.string(), 3, {values, values, values, {}}, nullptr);
  const auto d = ft::decide_output_dir(out.string(), "auto", /*overwrite=*/true, true);
  EXPECT_EQ(d.resume_from, ckpt);
  EXPECT_FALSE(d.clear_previous);
  // Without auto, checkpoints are a previous run: refuse, and say how to continue it.
  try {
    ft::decide_output_dir(out.string(), "", false, true);
    FAIL();
  } catch (const ft::Error& e) {
    EXPECT_NE(std::string(e.what()).find("--resume_from_checkpoint auto"), std::string::npos);
  }
}

// `auto` passed over damaged checkpoints without a word (docs/training.md promises a note), and
// when none was complete it only said "holds a previous run".
TEST(OutputDir, AutoSaysWhichDamagedCheckpointsItSkips) {
  const fs::path out = scratch_dir();
  const auto values = iota_values(4, 0);
  const std::string older = ft::save_checkpoint(out.string(), 3, {values, values, values, {}}, nullptr);
  const std::string newer = ft::save_checkpoint(out.string(), 6, {values, values, values, {}}, nullptr);
  fs::remove(fs::path(newer) / "optimizer.safetensors");
  auto d = ft::decide_output_dir(out.string(), "auto", false, true);
  EXPECT_EQ(d.resume_from, older);
  EXPECT_EQ(d.note.rfind("skipping damaged checkpoint " + newer + ": ", 0), 0u) << d.note;
  fs::remove(fs::path(older) / "optimizer.safetensors");
  try {
    ft::decide_output_dir(out.string(), "auto", false, true);
    FAIL();
  } catch (const ft::Error& e) {
    EXPECT_NE(std::string(e.what()).find("no checkpoint is complete (" + newer + ": "), std::string::npos) << e.what();
  }
}

TEST(OutputDir, LeftoversOfAnAttemptWithoutCheckpointsAreCleared) {
  const fs::path out = scratch_dir();
  write_file(out / "metrics.jsonl", "{}\n");
  write_file(out / "run_config.json", "{}");
  fs::create_directories(out / ".cache");
  const auto d = ft::decide_output_dir(out.string(), "auto", false, true);
  EXPECT_TRUE(d.clear_previous);
  ft::clear_previous_run(out.string());
  EXPECT_FALSE(fs::exists(out / "metrics.jsonl"));
  EXPECT_TRUE(fs::exists(out / ".cache"));
}

// A run that died in its final save (the adapter's weights written, not its config) and had no
// checkpoint counted as a finished run: every restart, auto included, was refused (exit 1, which a
// Kubernetes job does not retry).
TEST(OutputDir, APartialFinalSaveOfOurOwnRunIsClearedAndACompleteOneKept) {
  const fs::path out = scratch_dir();
  write_file(out / "run_config.json", "{}");
  write_file(out / "adapter_model.safetensors", "x");
  auto d = ft::decide_output_dir(out.string(), "auto", false, true);
  EXPECT_TRUE(d.clear_previous);
  EXPECT_NE(d.note.find("died while saving (adapter_model.safetensors without the rest)"), std::string::npos) << d.note;
  // With the config written last, the adapter is whole: a finished run, kept.
  write_file(out / "adapter_config.json", "{}");
  EXPECT_THROW(ft::decide_output_dir(out.string(), "auto", false, true), ft::Error);
  // Not our run's files (no run_config.json): never cleared without --overwrite_output_dir.
  fs::remove(out / "adapter_config.json");
  fs::remove(out / "run_config.json");
  EXPECT_THROW(ft::decide_output_dir(out.string(), "auto", false, true), ft::Error);
}

TEST(ConfigFile, YamlEntriesBecomeFlagsThatTypedFlagsOverride) {
  const fs::path dir = scratch_dir();
  write_file(dir / "run.yaml",
             "learning_rate: 2e-05\nbf16: true\nlora_target_modules:\n  - q_proj\n  - v_proj\nmax_steps: 9\nlogging_dir: null\n");
  const auto args = ft::cli::expand_config_file({"train", (dir / "run.yaml").string(), "--max_steps", "3"});
  const std::vector<std::string> expected = {"train", "--learning_rate=2e-05", "--bf16=true", "--lora_target_modules",
                                             "q_proj", "v_proj", "--max_steps", "3"};
  EXPECT_EQ(args, expected);
  EXPECT_EQ(ft::cli::config_origin("--bf16"), (dir / "run.yaml").string());
}

TEST(ConfigFile, JsonWithConfigFlag) {
  const fs::path dir = scratch_dir();
  write_file(dir / "run.json", R"({"do_train": true, "seed": 7, "output_dir": "out"})");
  const auto args = ft::cli::expand_config_file({"train", "--seed=1", "--config", (dir / "run.json").string()});
  const std::vector<std::string> expected = {"train", "--do_train=true", "--output_dir=out", "--seed=1"};
  EXPECT_EQ(args, expected);
}

TEST(ConfigFile, BadFilesNameTheFile) {
  const fs::path dir = scratch_dir();
  write_file(dir / "bad.json", "{\"seed\": ");
  write_file(dir / "nested.yaml", "lora:\n  rank: 8\n");
  for (const char* name : {"bad.json", "nested.yaml", "missing.yaml"}) {
    try {
      ft::cli::expand_config_file({"train", (dir / name).string()});
      FAIL() << name;
    } catch (const ft::Error& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  }
}

TEST(Flags, BooleansAndSuggestions) {
  EXPECT_TRUE(ft::cli::parse_bool_flag("--bf16", "True"));
  EXPECT_FALSE(ft::cli::parse_bool_flag("--bf16", "0"));
  EXPECT_THROW(ft::cli::parse_bool_flag("--bf16", "maybe"), ft::Error);
  EXPECT_EQ(ft::cli::edit_distance("lerning_rate", "learning_rate"), 1u);
  EXPECT_EQ(ft::cli::edit_distance("", "abc"), 3u);
  EXPECT_EQ(ft::cli::edit_distance("trian", "train"), 1u);
}

TEST(Flags, SuggestionsAreWhatTheTypistMeant) {
  const std::vector<std::string> flags{"model_name_or_path", "model_revision", "output_dir", "overwrite_output_dir",
                                       "per_device_train_batch_size", "per_device_eval_batch_size",
                                       "num_train_epochs", "learning_rate", "lora_rank", "bf16",
                                       "max_seq_length", "bench_steps"};
  using V = std::vector<std::string>;
  EXPECT_EQ(ft::cli::suggest_names("foo", flags), V{});  // was bf16, three edits away
  EXPECT_EQ(ft::cli::suggest_names("epochs", flags), V{"num_train_epochs"});
  EXPECT_EQ(ft::cli::suggest_names("batch_size", flags), (V{"per_device_train_batch_size", "per_device_eval_batch_size"}));
  EXPECT_EQ(ft::cli::suggest_names("model", flags), (V{"model_name_or_path", "model_revision"}));
  EXPECT_EQ(ft::cli::suggest_names("output", flags), (V{"output_dir", "overwrite_output_dir"}));
  EXPECT_EQ(ft::cli::suggest_names("max_seq_len", flags), V{"max_seq_length"});
  EXPECT_EQ(ft::cli::suggest_names("lerning_rate", flags), V{"learning_rate"});
  EXPECT_EQ(ft::cli::suggest_names("lora_rnak", flags), V{"lora_rank"});
  EXPECT_EQ(ft::cli::suggest_names("bench_step", flags), V{"bench_steps"});
  EXPECT_EQ(ft::cli::suggest_names("x", flags), V{});
}

// A full disk surfaced only in an ofstream's destructor, where it was dropped: the run exited 0
// with its last metrics lost. /dev/full fails every write with ENOSPC.
TEST(RunLog, AMetricsRecordThatCannotBeWrittenIsAnErrorNamingTheFile) {
  const auto dir = ft::test::scratch_dir();
  std::filesystem::create_symlink("/dev/full", dir / "metrics.jsonl");
  ft::RunLog log(true, dir.string(), "", [](const std::string&) {});
  const std::string message = ft::test::error_of([&] { log.train({.step = 1, .loss = 2.0}); });
  EXPECT_NE(message.find((dir / "metrics.jsonl").string() + ": cannot write"), std::string::npos) << message;
  EXPECT_NE(message.find("No space left on device"), std::string::npos) << message;
}

// A run that died mid-line left "...{\"learning_" and the resumed run's records ran on from it,
// so `finetune report` failed on the merged line.
TEST(RunLog, RecordsAfterACutShortLineStartOnALineOfTheirOwn) {
  const auto dir = ft::test::scratch_dir();
  ft::test::write_file(dir / "metrics.jsonl", "{\"type\": \"train\", \"step\": 1}\n{\"type\": \"tra");
  ft::RunLog log(true, dir.string(), "", [](const std::string&) {});
  log.train({.step = 2, .loss = 2.0});
  log.train({.step = 3, .loss = 1.5});
  std::istringstream lines(ft::test::read_file(dir / "metrics.jsonl"));
  std::vector<std::string> got;
  for (std::string line; std::getline(lines, line);) got.push_back(line);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[1], "{\"type\": \"tra");
  EXPECT_NE(got[2].find("\"step\":2"), std::string::npos) << got[2];
  EXPECT_NE(got[3].find("\"step\":3"), std::string::npos) << got[3];
}

TEST(RunLog, PythonFloatsPrintAsPythonDoes) {
  EXPECT_EQ(ft::python_float(2e-05), "2e-05");
  EXPECT_EQ(ft::python_float(0.0001), "0.0001");
  EXPECT_EQ(ft::python_float(1.0), "1.0");
  EXPECT_EQ(ft::python_float(2.3456), "2.3456");
  EXPECT_EQ(ft::python_float(1e+16), "1e+16");
  EXPECT_EQ(ft::python_float(-1.5e-07), "-1.5e-07");
  EXPECT_EQ(ft::python_float(123456.0), "123456.0");
  EXPECT_EQ(ft::python_float(0.0), "0.0");
}

}  // namespace
