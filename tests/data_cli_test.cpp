// `finetune data preview` end to end with the real stories260k tokenizer: masked spans marked,
// statistics printed; bad data and conflicting flags give one-line errors and their exit codes.
#include <gtest/gtest.h>

#include "data_test_helpers.h"

namespace ft::data {
namespace {

std::string model_dir() { return (ft::test::shared_dir() / "models" / "stories260k").string(); }
std::string fixture(const char* name) { return (ft::test::fixtures_dir() / "data" / name).string(); }

TEST(DataCli, PreviewShowsMaskedPromptAndStats) {
  FT_REQUIRE_SHARED();
  const auto r = ft::test::run_finetune("data preview --train_file " + fixture("alpaca_small.json") +
                                        " --model_name_or_path " + model_dir() +
                                        " --validation_split_percentage 20 --num_examples 1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("⟦<s>Below is an instruction"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("### Response:\n⟧"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("read as a percentage"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("train: 8 records"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("document"), std::string::npos) << r.output;
}

TEST(DataCli, BadDataFileExitsWithCode2) {
  FT_REQUIRE_SHARED();
  const auto f = ft::test::write_scratch("bad.jsonl", "{\"text\": 1}\n");
  const auto r = ft::test::run_finetune("data preview --train_file " + f + " --model_name_or_path " + model_dir());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("record 1 (line 1) field \"text\" is number"), std::string::npos) << r.output;
}

TEST(DataCli, ConflictingPackingFlagsExitWithCode1) {
  FT_REQUIRE_SHARED();
  const auto r = ft::test::run_finetune("data preview --train_file " + fixture("alpaca_small.json") +
                                        " --model_name_or_path " + model_dir() +
                                        " --packing document --dataset_concatenation True");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("contradicts --dataset_concatenation"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace ft::data
