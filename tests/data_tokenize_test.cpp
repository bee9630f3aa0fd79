// Tokenization and labels: prompt tokens masked (-100) unless train_on_inputs, EOS appended when it
// fits, truncation at max_seq_length, and llama2-chat's literal <s> not doubled.
#include <gtest/gtest.h>

#include <algorithm>

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

// ChatML templates (Qwen) end a turn with "<|im_end|>\n": the EOS is inside the reply, not last,
// and a second one was appended after the newline.
TEST(DataTokenize, AReplyHoldingEosGetsNoSecondOne) {
  const auto out = tokenize_example({"ab", "c</s>\n", false}, tok, 64, false);
  EXPECT_EQ(std::count(out.example.ids.begin(), out.example.ids.end(), 2), 1) << ::testing::PrintToString(out.example.ids);
  EXPECT_EQ(out.example.ids.back(), '\n' + 3);
}

TEST(DataTokenize, TextFormatTrainsEverything) {
  const auto out = tokenize_example(format_text("xyz"), tok, 16, false);
  EXPECT_EQ(out.example.labels, out.example.ids);
}

}  // namespace
}  // namespace ft::data

namespace ft::data {
namespace {

// The reference masks the first len(tokenize(prompt)) labels of tokenize(prompt + response); that
// is exact only when the prompt's ids are a prefix of the full ids. Check it for real tokenizers.
TEST(DataTokenize, PromptIdsArePrefixOfFullIdsWithRealTokenizers) {
  FT_REQUIRE_SHARED();
  for (const char* name : {"llama2"}) {  // tokenizer.json loads are slow in Debug builds
    const auto real = Tokenizer::load((ft::test::shared_dir() / "tokenizers" / name).string());
    for (const PromptFormat f : {PromptFormat::kAlpaca, PromptFormat::kLlama2Chat}) {
      for (const char* input : {"", "What causes a cold?"}) {
        const auto ex = format_instruction(f, {}, "Answer this question truthfully", input,
                                           "Viruses, most often rhinoviruses.");
        const EncodeOptions opt{ex.add_special_tokens, true};
        const auto prompt = real->encode(ex.prompt, opt);
        const auto full = real->encode(ex.prompt + ex.response, opt);
        ASSERT_LT(prompt.size(), full.size()) << name;
        EXPECT_TRUE(std::equal(prompt.begin(), prompt.end(), full.begin()))
            << name << " " << prompt_format_name(f) << " input=\"" << input << "\"";
      }
    }
  }
}

}  // namespace
}  // namespace ft::data
