// StreamDecoder: pieces returned id by id join up to the full decode, and never end inside a
// character split across byte tokens.
#include <gtest/gtest.h>

#include "test_support.h"
#include "text/stream_decoder.h"
#include "text/tokenizer.h"
#include "text/utf8.h"

namespace {

namespace fs = std::filesystem;

const char* const kTexts[] = {
    "Hello world, streaming text!",
    "Emoji 😀 and 👨‍👩‍👧 and café",
    "  spaces\tand\nnewlines  ",
    "中文分词测试：你好",
};

void expect_stream_matches_decode(const ft::Tokenizer& tok) {
  for (const char* text : kTexts) {
    const std::vector<int> ids = tok.encode(text);
    ft::StreamDecoder stream(tok);
    std::string joined;
    for (int id : ids) {
      const std::string piece = stream.push(id);
      EXPECT_TRUE(ft::utf8::is_valid(piece));
      EXPECT_EQ(piece.find(ft::utf8::kReplacement), std::string::npos) << text;
      joined += piece;
    }
    joined += stream.finish();
    EXPECT_EQ(joined, tok.decode(ids)) << text;
  }
}

TEST(TokenizerStream, ByteLevelPiecesJoinToTheFullDecode) {
  const fs::path dir = ft::test::scratch_dir();
  fs::copy_file(ft::test::fixtures_dir() / "tokenizers" / "trained_byte_level.tokenizer.json",
                dir / "tokenizer.json");
  expect_stream_matches_decode(*ft::Tokenizer::load(dir.string()));
}

TEST(TokenizerStream, ByteFallbackPiecesJoinToTheFullDecode) {
  const fs::path dir = ft::test::scratch_dir();
  fs::copy_file(ft::test::fixtures_dir() / "tokenizers" / "trained_metaspace.tokenizer.json",
                dir / "tokenizer.json");
  expect_stream_matches_decode(*ft::Tokenizer::load(dir.string()));
}

TEST(TokenizerStream, SentencePiecePiecesJoinToTheFullDecode) {
  FT_REQUIRE_SHARED();
  expect_stream_matches_decode(
      *ft::Tokenizer::load((ft::test::shared_dir() / "tokenizers" / "llama2").string()));
}

TEST(TokenizerStream, IncompleteCharacterIsHeldBackUntilFinish) {
  const fs::path dir = ft::test::scratch_dir();
  fs::copy_file(ft::test::fixtures_dir() / "tokenizers" / "trained_metaspace.tokenizer.json",
                dir / "tokenizer.json");
  const auto tok = ft::Tokenizer::load(dir.string());
  const int first_byte = *tok->token_to_id("<0xF0>");
  ft::StreamDecoder stream(*tok);
  EXPECT_EQ(stream.push(first_byte), "");
  EXPECT_EQ(stream.finish(), std::string(ft::utf8::kReplacement));
}

}  // namespace
