// BPE model and tokenizer.json pipeline details on tiny hand-written files: both merge forms,
// merge priority, ignore_merges, byte fallback, unk fusing, added-token flags, long words.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.h"
#include "text/tokenizer.h"

namespace {

using nlohmann::json;

json tiny_bpe(json merges) {
  json vocab = {{"a", 0}, {"b", 1}, {"c", 2}, {"ab", 3}, {"bc", 4}, {"abc", 5}, {"aa", 6},
                {"aaaa", 7}, {"<unk>", 8}, {"<0xC3>", 9}, {"<0xA9>", 10}, {"\u2581", 11}};
  return {{"version", "1.0"},
          {"added_tokens", json::array()},
          {"normalizer", nullptr},
          {"pre_tokenizer", nullptr},
          {"post_processor", nullptr},
          {"decoder", nullptr},
          {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}, {"unk_token", "<unk>"}}}};
}

std::unique_ptr<ft::Tokenizer> load_json(const json& j) {
  const auto dir = ft::test::scratch_dir();
  ft::test::write_file(dir / "tokenizer.json", j.dump());
  return ft::Tokenizer::load(dir.string());
}

TEST(TokenizerBpe, StringAndListMergesGiveTheSameResult) {
  const auto a = load_json(tiny_bpe({"b c", "a b", "a bc", "a a", "aa aa"}));
  json list = json::array();
  for (const char* m : {"b c", "a b", "a bc", "a a", "aa aa"}) {
    const std::string s = m;
    list.push_back(json::array({s.substr(0, s.find(' ')), s.substr(s.find(' ') + 1)}));
  }
  const auto b = load_json(tiny_bpe(list));
  EXPECT_EQ(a->encode("abc"), (std::vector<int>{5}));
  EXPECT_EQ(b->encode("abc"), (std::vector<int>{5}));
  EXPECT_EQ(a->encode("aabcb"), b->encode("aabcb"));
}

TEST(TokenizerBpe, LowerRankMergesFirst) {
  // "a b" outranks "b c": abc -> ab c, and no "ab c" merge exists.
  EXPECT_EQ(load_json(tiny_bpe({"a b", "b c"}))->encode("abc"), (std::vector<int>{3, 2}));
  EXPECT_EQ(load_json(tiny_bpe({"b c", "a b"}))->encode("abc"), (std::vector<int>{0, 4}));
}

TEST(TokenizerBpe, IgnoreMergesTakesWholeWordsFromTheVocabulary) {
  json j = tiny_bpe({"a b"});
  EXPECT_EQ(load_json(j)->encode("abc"), (std::vector<int>{3, 2}));
  j["model"]["ignore_merges"] = true;
  EXPECT_EQ(load_json(j)->encode("abc"), (std::vector<int>{5}));
}

TEST(TokenizerBpe, ByteFallbackAndFusedUnknowns) {
  json j = tiny_bpe(json::array());
  j["model"]["fuse_unk"] = true;
  EXPECT_EQ(load_json(j)->encode("a\u00e9\u00e9zzb"), (std::vector<int>{0, 8, 1}));
  j["model"]["byte_fallback"] = true;
  EXPECT_EQ(load_json(j)->encode("a\u00e9zz"), (std::vector<int>{0, 9, 10, 8}));
}

TEST(TokenizerBpe, VeryLongWordMergesCompletely) {
  const auto tok = load_json(tiny_bpe({"a a", "aa aa"}));
  const auto ids = tok->encode(std::string(20000, 'a'));
  ASSERT_EQ(ids.size(), 5000u);
  for (int id : ids) ASSERT_EQ(id, 7);
}

TEST(TokenizerBpe, AddedTokensSplitOutWithStripFlags) {
  json j = tiny_bpe({"a b"});
  j["added_tokens"] = {{{"id", 20}, {"content", "<x>"}, {"special", true}, {"lstrip", true},
                        {"rstrip", false}, {"normalized", false}, {"single_word", false}},
                       {{"id", 21}, {"content", "[y]"}, {"special", false}, {"lstrip", false},
                        {"rstrip", true}, {"normalized", false}, {"single_word", false}}};
  j["model"]["vocab"][" "] = 22;
  const auto tok = load_json(j);
  EXPECT_EQ(tok->encode("ab  <x> [y]  c"), (std::vector<int>{3, 20, 22, 21, 2}));
  ft::EncodeOptions plain;
  plain.parse_special = false;
  EXPECT_EQ(tok->encode("<x>[y]", plain), (std::vector<int>{8, 8, 8, 21}));  // <, x, > unknown
  EXPECT_EQ(tok->decode({3, 20, 21}, true), "ab [y]");
  EXPECT_TRUE(tok->is_special(20));
  EXPECT_FALSE(tok->is_special(21));
  EXPECT_EQ(tok->vocab_size(), 23);
}

TEST(TokenizerBpe, TemplatePostProcessorAddsBosAndEos) {
  json j = tiny_bpe({"a b"});
  j["model"]["vocab"]["<s>"] = 30;
  j["model"]["vocab"]["</s>"] = 31;
  j["post_processor"] = {
      {"type", "TemplateProcessing"},
      {"single", {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
                  {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
                  {{"SpecialToken", {{"id", "</s>"}, {"type_id", 0}}}}}},
      {"pair", json::array()},
      {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {30}}, {"tokens", {"<s>"}}}},
                          {"</s>", {{"id", "</s>"}, {"ids", {31}}, {"tokens", {"</s>"}}}}}}};
  const auto tok = load_json(j);
  EXPECT_EQ(tok->encode("ab"), (std::vector<int>{30, 3, 31}));
  ft::EncodeOptions bare;
  bare.add_special_tokens = false;
  EXPECT_EQ(tok->encode("ab", bare), (std::vector<int>{3}));
  EXPECT_EQ(tok->bos_id, 30);
  EXPECT_EQ(tok->eos_ids, (std::vector<int>{31}));
}

TEST(TokenizerBpe, InvalidUtf8IsReadAsReplacementCharacters) {
  const auto dir = ft::test::scratch_dir();
  std::filesystem::copy_file(
      ft::test::fixtures_dir() / "tokenizers" / "trained_byte_level.tokenizer.json",
      dir / "tokenizer.json");
  const auto tok = ft::Tokenizer::load(dir.string());
  EXPECT_EQ(tok->encode("a\xff" "b\xe2\x82"), tok->encode("a\uFFFDb\uFFFD"));
  EXPECT_EQ(tok->decode(tok->encode("caf\xc3")), "caf\uFFFD");
}

}  // namespace
