// Loading a tokenizer directory: which file wins, settings from the side files, and the one-line
// errors for missing, malformed or unsupported files.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "test_support.h"
#include "text/tokenizer.h"

namespace {

namespace fs = std::filesystem;

fs::path byte_level_dir() {
  const fs::path dir = ft::test::scratch_dir();
  fs::copy_file(ft::test::fixtures_dir() / "tokenizers" / "trained_byte_level.tokenizer.json",
                dir / "tokenizer.json");
  return dir;
}

// The message of the ft::Error that loading `dir` throws (empty when it loads).
std::string load_error(const fs::path& dir, int* exit_code = nullptr) {
  try {
    ft::Tokenizer::load(dir.string());
  } catch (const ft::Error& e) {
    if (exit_code) *exit_code = e.exit_code();
    return e.what();
  }
  return {};
}

TEST(TokenizerLoad, MissingFilesNameWhatWasLookedFor) {
  const fs::path dir = ft::test::scratch_dir();
  int code = 0;
  const std::string msg = load_error(dir, &code);
  EXPECT_NE(msg.find(dir.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("tokenizer.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("tokenizer.model"), std::string::npos) << msg;
  EXPECT_EQ(code, ft::kExitBadInput);
  EXPECT_NE(load_error(dir / "absent").find("not a directory"), std::string::npos);
}

TEST(TokenizerLoad, MalformedTokenizerJsonNamesFileAndField) {
  const fs::path dir = byte_level_dir();
  auto j = nlohmann::json::parse(ft::test::read_file(dir / "tokenizer.json"));
  j["model"]["merges"][3] = "only-one-token";
  ft::test::write_file(dir / "tokenizer.json", j.dump());
  std::string msg = load_error(dir);
  EXPECT_NE(msg.find("tokenizer.json: model.merges[3]"), std::string::npos) << msg;

  j["model"]["type"] = "WordPiece";
  ft::test::write_file(dir / "tokenizer.json", j.dump());
  msg = load_error(dir);
  EXPECT_NE(msg.find("model.type"), std::string::npos) << msg;
  EXPECT_NE(msg.find("WordPiece"), std::string::npos) << msg;

  ft::test::write_file(dir / "tokenizer.json", "{\"model\": ");
  msg = load_error(dir);
  EXPECT_NE(msg.find("tokenizer.json: not valid JSON"), std::string::npos) << msg;

  j["model"]["type"] = "BPE";
  j["model"]["merges"][3] = j["model"]["merges"][2];
  j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}};
  ft::test::write_file(dir / "tokenizer.json", j.dump());
  msg = load_error(dir);
  EXPECT_NE(msg.find("pre_tokenizer.pattern"), std::string::npos) << msg;
}

TEST(TokenizerLoad, SideFilesSetBosEosStopIdsAndChatTemplate) {
  const fs::path dir = byte_level_dir();
  ft::test::write_file(dir / "tokenizer_config.json", R"({
    "add_bos_token": true, "add_eos_token": true,
    "bos_token": {"content": "<|endoftext|>", "special": true}, "eos_token": "<|extra|>",
    "chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]})");
  ft::test::write_file(dir / "generation_config.json", R"({"eos_token_id": [0, 7]})");
  const auto tok = ft::Tokenizer::load(dir.string());
  EXPECT_EQ(tok->bos_id, 0);
  EXPECT_EQ(tok->eos_id, 800);
  EXPECT_EQ(tok->eos_ids, (std::vector<int>{800, 0, 7}));
  EXPECT_EQ(tok->chat_template, "D");
  const auto ids = tok->encode("hi");
  ASSERT_GE(ids.size(), 3u);
  EXPECT_EQ(ids.front(), 0);
  EXPECT_EQ(ids.back(), 800);

  ft::test::write_file(dir / "generation_config.json", R"({"eos_token_id": "two"})");
  const std::string msg = load_error(dir);
  EXPECT_NE(msg.find("generation_config.json: eos_token_id"), std::string::npos) << msg;
}

TEST(TokenizerLoad, UnknownBosTokenIsAnError) {
  const fs::path dir = byte_level_dir();
  ft::test::write_file(dir / "tokenizer_config.json", R"({"bos_token": "<nope>"})");
  const std::string msg = load_error(dir);
  EXPECT_NE(msg.find("tokenizer_config.json: bos_token \"<nope>\""), std::string::npos) << msg;
}

TEST(TokenizerLoad, BrokenSentencePieceModelIsAnError) {
  const fs::path dir = ft::test::scratch_dir();
  ft::test::write_file(dir / "tokenizer.model", "not a protobuf");
  const std::string msg = load_error(dir);
  EXPECT_NE(msg.find("tokenizer.model: is not a valid SentencePiece model"), std::string::npos) << msg;
}

// (The large tokenizer.json files' special tokens are checked by the parity test, which loads
// them anyway: each load of a 10 MB file costs seconds in a sanitizer build.)
TEST(TokenizerLoad, SentencePieceSettingsComeFromTheSideFiles) {
  FT_REQUIRE_SHARED();
  const auto stories = ft::Tokenizer::load((ft::test::shared_dir() / "models" / "stories260k").string());
  EXPECT_EQ(stories->bos_id, 1);
  EXPECT_TRUE(stories->add_bos);
  EXPECT_FALSE(stories->add_eos);
  EXPECT_EQ(stories->eos_ids, (std::vector<int>{2}));
  EXPECT_EQ(stories->vocab_size(), 512);
  EXPECT_EQ(stories->token_to_id("<0x0A>"), 13);
  EXPECT_EQ(stories->id_to_token(1), "<s>");
  EXPECT_FALSE(stories->token_to_id("no such piece").has_value());
}

}  // namespace
