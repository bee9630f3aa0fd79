// The shared data flags (src/cli/data_flags.h): reference names parse into DataOptions, booleans
// accept True/False, --dataset_concatenation maps onto --packing, and the cache directory default.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "cli/data_flags.h"
#include "core/error.h"

namespace ft::cli {
namespace {

data::DataOptions parse(std::vector<std::string> args) {
  CLI::App app;
  DataFlags flags;
  add_data_flags(app, flags, /*with_output_dir=*/true);
  std::reverse(args.begin(), args.end());  // CLI11 takes the argument vector in reverse order
  app.parse(args);
  return flags.resolve();
}

TEST(DataFlags, ReferenceNamesFillTheOptions) {
  unsetenv("FINETUNE_CACHE");
  const auto o = parse({"--train_file", "d.json", "--max_seq_length", "256", "--train_on_inputs", "True",
                        "--validation_split_percentage", "0.2", "--instruction_column_name", "q",
                        "--prompt_without_input", "SYS", "--output_dir", "out", "--max_train_samples", "9"});
  EXPECT_EQ(o.train_file, "d.json");
  EXPECT_EQ(o.max_seq_length, 256);
  EXPECT_TRUE(o.train_on_inputs);
  EXPECT_DOUBLE_EQ(o.validation_split_percentage, 0.2);
  EXPECT_EQ(o.columns.instruction, "q");
  EXPECT_EQ(o.system_prompts.without_input, "SYS");
  EXPECT_EQ(o.max_train_samples, 9);
  EXPECT_EQ(o.packing, data::PackingMode::kDocument);
  EXPECT_EQ(o.cache_dir, "out/.cache");
}

TEST(DataFlags, DatasetConcatenationAndPacking) {
  EXPECT_EQ(parse({"--dataset_concatenation", "True"}).packing, data::PackingMode::kConcat);
  EXPECT_EQ(parse({"--dataset_concatenation", "false"}).packing, data::PackingMode::kDocument);
  EXPECT_EQ(parse({"--packing", "none"}).packing, data::PackingMode::kNone);
  EXPECT_EQ(parse({"--packing", "concat", "--dataset_concatenation", "true"}).packing, data::PackingMode::kConcat);
  EXPECT_THROW(parse({"--packing", "none", "--dataset_concatenation", "true"}), ft::Error);
  EXPECT_THROW(parse({"--dataset_concatenation", "maybe"}), ft::Error);
}

TEST(DataFlags, CacheDirFromEnvironment) {
  setenv("FINETUNE_CACHE", "/tmp/ftcache", 1);
  EXPECT_EQ(parse({"--output_dir", "out"}).cache_dir, "/tmp/ftcache");
  EXPECT_EQ(parse({"--cache_dir", "mine"}).cache_dir, "mine");
  unsetenv("FINETUNE_CACHE");
  EXPECT_EQ(parse({}).cache_dir, "");
}

}  // namespace
}  // namespace ft::cli
