// `finetune generate` and `finetune inspect` through the built binary, on stories260k.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <utility>

#include "test_support.h"

namespace ft {
namespace {

std::string stories() { return (test::shared_dir() / "models" / "stories260k").string(); }

int count_lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

TEST(CliGenerate, GreedyStreamsPromptAndContinuation) {
  FT_REQUIRE_SHARED();
  const std::string args = "generate --model_name_or_path " + stories() +
                           " --prompt 'Once upon a time' --max_new_tokens 40 --temperature 0";
  const auto a = test::run_finetune(args);
  ASSERT_EQ(a.exit_code, 0) << a.output;
  EXPECT_EQ(a.output.rfind("Once upon a time", 0), 0u) << a.output;
  EXPECT_GT(a.output.size(), std::string("Once upon a time").size() + 40) << a.output;
  EXPECT_EQ(test::run_finetune(args).output, a.output);
  const auto bf = test::run_finetune(args + " --bf16 True");
  EXPECT_EQ(bf.exit_code, 0) << bf.output;
  EXPECT_EQ(bf.output.rfind("Once upon a time", 0), 0u) << bf.output;
}

// Reaching the context length ended the text early without a word.
TEST(CliGenerate, StoppingAtTheContextLengthIsNoted) {
  FT_REQUIRE_SHARED();
  const auto dir = test::scratch_dir();
  std::string config = test::read_file(std::filesystem::path(stories()) / "config.json");
  config.replace(config.find("\"max_position_embeddings\": 512"), 30, "\"max_position_embeddings\": 24");
  test::write_file(dir / "config.json", config);
  ASSERT_EQ(test::run_finetune("init --config " + (dir / "config.json").string() + " --tokenizer " + stories() +
                               " --output_dir " + (dir / "model").string() + " --seed 3")
                .exit_code,
            0);
  const auto r = test::run_finetune("generate --model_name_or_path " + (dir / "model").string() +
                                    " --prompt 'Once upon a time' --max_new_tokens 100 --temperature 0");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("note: stopped at the model's context of 24 tokens (max_position_embeddings) after "),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("before --max_new_tokens 100"), std::string::npos) << r.output;
}

TEST(CliGenerate, SamplingIsReproducibleBySeed) {
  FT_REQUIRE_SHARED();
  const std::string args = "generate --model_name_or_path " + stories() +
                           " --prompt 'The dog' --max_new_tokens 30 --temperature 0.9 --top_p 0.9";
  const auto a = test::run_finetune(args + " --seed 5");
  const auto b = test::run_finetune(args + " --seed 5");
  const auto c = test::run_finetune(args + " --seed 6");
  ASSERT_EQ(a.exit_code, 0) << a.output;
  EXPECT_EQ(a.output, b.output);
  EXPECT_NE(a.output, c.output);
}

TEST(CliGenerate, MissingModelDirectoryIsOneLineExit2) {
  const auto r = test::run_finetune("generate --model_name_or_path /nonexistent/model --prompt hi");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_EQ(r.output.rfind("error: /nonexistent/model", 0), 0u) << r.output;
  EXPECT_EQ(count_lines(r.output), 1) << r.output;
}

// CLI11's range checks printed 400-character lines (DBL_MAX in full) and let NaN through, which
// then sampled nothing.
TEST(CliGenerate, SamplingFlagsOutOfRangeAreShortErrors) {
  for (const auto& [flag, expected] : {std::pair{"--top_p nan", "--top_p must be in (0, 1]"},
                                       {"--top_p 0", "--top_p must be in (0, 1]"},
                                       {"--temperature nan", "--temperature must be a finite number >= 0"},
                                       {"--temperature -1", "--temperature must be a finite number >= 0"},
                                       {"--max_new_tokens -1", "--max_new_tokens must be 0 or more"}}) {
    const auto r = test::run_finetune(std::string("generate --model_name_or_path /nonexistent --prompt hi ") + flag);
    EXPECT_EQ(r.exit_code, 1) << flag << "\n" << r.output;
    EXPECT_EQ(r.output.rfind(std::string("error: ") + expected, 0), 0u) << r.output;
    EXPECT_EQ(count_lines(r.output), 1) << r.output;
  }
}

// A tokenizer whose ids pass the model's vocabulary (Llama 2's 32000 words in a 512-word model)
// failed after the prompt was echoed, naming neither file.
TEST(CliGenerate, ATokenizerBeyondTheModelsVocabularyIsRefusedFirst) {
  FT_REQUIRE_SHARED();
  const auto dir = test::scratch_dir() / "model";
  std::filesystem::copy(stories(), dir);
  std::filesystem::copy_file(test::shared_dir() / "tokenizers" / "llama2" / "tokenizer.model", dir / "tokenizer.model",
                             std::filesystem::copy_options::overwrite_existing);
  const auto r = test::run_finetune("generate --model_name_or_path " + dir.string() + " --prompt 'Once upon a time'");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_EQ(r.output.rfind("error: " + dir.string() + ": the tokenizer gives the prompt token id ", 0), 0u) << r.output;
  EXPECT_NE(r.output.find("beyond config.json's vocab_size 512"), std::string::npos) << r.output;
  EXPECT_EQ(count_lines(r.output), 1) << r.output;
}

TEST(CliInspect, DescribesStories260k) {
  FT_REQUIRE_SHARED();
  const auto r = test::run_finetune("inspect " + stories());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* want : {"LlamaForCausalLM", "layers 5", "hidden 64", "kv heads 4", "vocab 512",
                           "F32 (47 tensors", "LoRA r=8", "full fine-tune"})
    EXPECT_NE(r.output.find(want), std::string::npos) << want << " missing in:\n" << r.output;
}

TEST(CliInspect, NotAModelDirectoryIsExit2) {
  const auto dir = test::scratch_dir();
  const auto r = test::run_finetune("inspect " + dir.string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_EQ(r.output.rfind("error: ", 0), 0u) << r.output;
}

}  // namespace
}  // namespace ft
