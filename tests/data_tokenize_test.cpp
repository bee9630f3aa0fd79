// Tokenization and labels: prompt tokens masked (-100) unless train_on_inputs, EOS appended when it
// fits, truncation at max_seq_length, and llama2-chat's literal <s> not doubled.
#include <gtest/gtest.h>

#include "data/example_tokens.h"
#include "data_test_helpers.h"

namespace ft::data {
namespace {

const ft::test::FakeByteTokenizer tok;

TEST(DataTokenize, PromptMaskedResponseTrainedEosAppended) {
  const FormattedExample ex{"ab", "cd", true};
  const auto out = tokenize_example(ex, tok, 64, false);
  EXPECT_FALSE(out.truncated);
  const std::vector<int32_t> ids = {1, 'a' + 3, 'b' + 3, 'c' + 3, 'd' + 3, 2};
  EXPECT_EQ(out.example.ids, ids);
  const std::vector<int32_t> labels = {-100, -100, -100, 'c' + 3, 'd' + 3, 2};
  EXPECT_EQ(out.example.labels, labels);
  EXPECT_EQ(count_trained(out.example), 3u);
}

TEST(DataTokenize, TrainOnInputsKeepsEveryLabel) {
  const auto out = tokenize_example({"ab", "cd", true}, tok, 64, true);
  EXPECT_EQ(out.example.labels, out.example.ids);
}

TEST(DataTokenize, TruncationDropsEosAndIsReported) {
  const auto out = tokenize_example({"ab", "cdefgh", true}, tok, 5, false);
  EXPECT_TRUE(out.truncated);
  ASSERT_EQ(out.example.ids.size(), 5u);
  EXPECT_NE(out.example.ids.back(), 2);
  EXPECT_EQ(count_trained(out.example), 2u);  // 'c', 'd'
}

TEST(DataTokenize, ExactFitGetsNoEos) {
  const auto out = tokenize_example({"a", "b", true}, tok, 3, false);
  EXPECT_FALSE(out.truncated);
  EXPECT_EQ(out.example.ids.size(), 3u);
  EXPECT_EQ(out.example.ids.back(), 'b' + 3);
}

TEST(DataTokenize, PromptLongerThanWindowLeavesNoTargets) {
  const auto out = tokenize_example({"abcdefgh", "xy", true}, tok, 4, false);
  EXPECT_TRUE(out.truncated);
  EXPECT_EQ(count_trained(out.example), 0u);
}

TEST(DataTokenize, Llama2ChatLiteralSpecialsNotDoubled) {
  const auto ex = format_instruction(PromptFormat::kLlama2Chat, {}, "q", "", "r");
  const auto out = tokenize_example(ex, tok, 512, false);
  EXPECT_EQ(out.example.ids.front(), 1);
  EXPECT_NE(out.example.ids[1], 1);
  EXPECT_EQ(out.example.ids.back(), 2);
  EXPECT_NE(out.example.ids[out.example.ids.size() - 2], 2);  // "</s>" already ends it: no 2nd EOS
  // Trained: " r </s>" = 4 tokens.
  EXPECT_EQ(count_trained(out.example), 4u);
}

TEST(DataTokenize, TextFormatTrainsEverything) {
  const auto out = tokenize_example(format_text("xyz"), tok, 16, false);
  EXPECT_EQ(out.example.labels, out.example.ids);
}

}  // namespace
}  // namespace ft::data
