// `finetune merge` and `finetune generate --adapter` through the built binary: the merged
// directory loads and matches the adapter attached in-process, output-directory protection,
// --bf16 / --max_shard_size, one-line errors; generation with an adapter equals generation with
// the merged model.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <iterator>
#include <set>
#include <string>

#include "lora_test_support.h"
#include "model/peft_adapter.h"
#include "test_support.h"

namespace ft {
namespace {

namespace fs = std::filesystem;

std::string tiny_model() { return (test::fixtures_dir() / "tiny_models" / "llama_gqa_untied").string(); }

int count_lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

// Saves a random non-zero adapter for the model in `base` and returns its directory.
fs::path random_adapter(const std::string& base, const fs::path& dir, float scale) {
  Model model = Model::load(base);
  LoraWeights lora(model.config(), {.rank = 4, .alpha = 8.0, .targets = parse_lora_targets("all-linear")});
  test::randomise_lora(lora, 21, scale);
  save_peft_adapter(dir.string(), lora, base);
  return dir;
}

std::string merge_args(const fs::path& adapter, const fs::path& out) {
  return "merge --model_name_or_path " + tiny_model() + " --adapter " + adapter.string() +
         " --output_dir " + out.string();
}

TEST(CliMerge, MergedDirectoryMatchesAttachedAdapter) {
  const fs::path scratch = test::scratch_dir();
  const fs::path adapter = random_adapter(tiny_model(), scratch / "adapter", 0.3f);
  const auto r = test::run_finetune(merge_args(adapter, scratch / "merged"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(nlohmann::json::parse(test::read_file(scratch / "merged" / "config.json"))["torch_dtype"], "float32");

  Model base = Model::load(tiny_model());
  const auto lora = load_peft_adapter(adapter.string(), base.config());
  base.attach_lora(lora.get());
  Model merged = Model::load((scratch / "merged").string());
  const auto ids = test::token_ids(2 * 9, base.config().vocab_size, 4);
  EXPECT_LT(test::max_abs_diff(test::logits_of(base, ids, 2, 9), test::logits_of(merged, ids, 2, 9)), 1e-5);
}

// A merge that failed midway over an earlier merge's directory left the new first shards beside
// the old rest, index and config.json: a model mixing two adapters that loaded without a word.
TEST(CliMerge, AMergeThatFailsMidwayLeavesNoLoadableMixture) {
  const fs::path scratch = test::scratch_dir();
  const fs::path first = random_adapter(tiny_model(), scratch / "first", 0.3f);
  const fs::path second = random_adapter(tiny_model(), scratch / "second", 0.5f);
  const std::string shards = " --max_shard_size 20KB";
  auto r = test::run_finetune(merge_args(first, scratch / "out") + shards);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json index = nlohmann::json::parse(test::read_file(scratch / "out" / "model.safetensors.index.json"));
  std::set<std::string> files;
  for (const auto& [name, file] : index["weight_map"].items()) files.insert(file.get<std::string>());
  ASSERT_GE(files.size(), 3u);
  // The third shard cannot be replaced (a directory holds its name): the second merge fails there.
  const fs::path blocked = scratch / "out" / *std::next(files.begin(), 2);
  fs::remove(blocked);
  test::write_file(blocked / "keep", "x");
  r = test::run_finetune(merge_args(second, scratch / "out") + shards + " --overwrite_output_dir true");
  ASSERT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("holds an incomplete model (no config.json) until a merge into it succeeds"), std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(scratch / "out" / "config.json"));
  EXPECT_NE(test::run_finetune("generate --model_name_or_path " + (scratch / "out").string() + " --prompt hi").exit_code, 0);
}

TEST(CliMerge, RefusesNonEmptyOutputUnlessOverwriteGiven) {
  const fs::path scratch = test::scratch_dir();
  const fs::path adapter = random_adapter(tiny_model(), scratch / "adapter", 0.3f);
  test::write_file(scratch / "out" / "notes.txt", "previous run");
  const auto refused = test::run_finetune(merge_args(adapter, scratch / "out"));
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_EQ(count_lines(refused.output), 1) << refused.output;
  EXPECT_NE(refused.output.find("--overwrite_output_dir"), std::string::npos) << refused.output;
  EXPECT_FALSE(fs::exists(scratch / "out" / "model.safetensors"));
  const auto bare = test::run_finetune(merge_args(adapter, scratch / "out") + " --overwrite_output_dir");
  EXPECT_EQ(bare.exit_code, 0) << bare.output;
  const auto valued = test::run_finetune(merge_args(adapter, scratch / "out") + " --overwrite_output_dir True");
  EXPECT_EQ(valued.exit_code, 0) << valued.output;
  EXPECT_TRUE(fs::exists(scratch / "out" / "model.safetensors"));
}

TEST(CliMerge, Bf16ShardedOutputLoads) {
  const fs::path scratch = test::scratch_dir();
  const fs::path adapter = random_adapter(tiny_model(), scratch / "adapter", 0.3f);
  const auto r = test::run_finetune(merge_args(adapter, scratch / "merged") +
                                    " --bf16 true --max_shard_size 10KB");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(scratch / "merged" / "model.safetensors.index.json"));
  EXPECT_EQ(nlohmann::json::parse(test::read_file(scratch / "merged" / "config.json"))["torch_dtype"], "bfloat16");
  Model merged = Model::load((scratch / "merged").string(), DType::BF16);
  EXPECT_EQ(merged.config().num_hidden_layers, 2);
}

TEST(CliMerge, BadInputsAreOneLineErrors) {
  const fs::path scratch = test::scratch_dir();
  const auto missing = test::run_finetune(merge_args(scratch / "no_adapter", scratch / "out"));
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_EQ(count_lines(missing.output), 1) << missing.output;
  EXPECT_NE(missing.output.find("no_adapter"), std::string::npos) << missing.output;
  const fs::path adapter = random_adapter(tiny_model(), scratch / "adapter", 0.3f);
  // 1e20 GB wrapped to a non-positive size and failed inside save_hf_weights.
  for (const char* bad : {"5XB", "99999999999999999999GB"}) {
    const auto size = test::run_finetune(merge_args(adapter, scratch / "out") + " --max_shard_size " + bad);
    EXPECT_EQ(size.exit_code, 1) << size.output;
    EXPECT_EQ(size.output.rfind(std::string("error: --max_shard_size '") + bad + "'", 0), 0u) << size.output;
  }
}

TEST(CliGenerateAdapter, AdapterChangesTextAndEqualsMergedModel) {
  FT_REQUIRE_SHARED();
  const fs::path scratch = test::scratch_dir();
  const std::string stories = (test::shared_dir() / "models" / "stories260k").string();
  const fs::path adapter = random_adapter(stories, scratch / "adapter", 0.5f);
  const std::string gen = " --prompt 'Once upon a time' --max_new_tokens 30 --temperature 0";
  const auto plain = test::run_finetune("generate --model_name_or_path " + stories + gen);
  const auto adapted = test::run_finetune("generate --model_name_or_path " + stories + " --adapter " +
                                          adapter.string() + gen);
  ASSERT_EQ(adapted.exit_code, 0) << adapted.output;
  EXPECT_NE(adapted.output, plain.output);
  const auto merge = test::run_finetune("merge --model_name_or_path " + stories + " --adapter " +
                                        adapter.string() + " --output_dir " + (scratch / "merged").string());
  ASSERT_EQ(merge.exit_code, 0) << merge.output;
  const auto merged = test::run_finetune("generate --model_name_or_path " + (scratch / "merged").string() + gen);
  EXPECT_EQ(merged.output, adapted.output);
  const auto bad = test::run_finetune("generate --model_name_or_path " + stories + " --adapter " +
                                      (scratch / "none").string() + gen);
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
}

}  // namespace
}  // namespace ft
