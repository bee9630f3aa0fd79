// Helpers for the data tests: a byte-level stand-in tokenizer, scratch files, and a check that a
// call throws a bad-input ft::Error.
#pragma once
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "test_support.h"
#include "text/tokenizer.h"

namespace ft::test {

// id = byte + 3, BOS = 1, EOS = 2; with parse_special the texts "<s>" / "</s>" become BOS / EOS,
// like Llama's SentencePiece model.
class FakeByteTokenizer : public Tokenizer {
 public:
  FakeByteTokenizer() {
    bos_id = 1;
    eos_id = 2;
    eos_ids = {2};
    add_bos = true;
  }
  std::vector<int> encode(std::string_view text, const EncodeOptions& opt = {}) const override {
    std::vector<int> ids;
    if (opt.add_special_tokens && add_bos) ids.push_back(1);
    for (size_t i = 0; i < text.size();) {
      if (opt.parse_special && text.substr(i, 3) == "<s>") {
        ids.push_back(1);
        i += 3;
      } else if (opt.parse_special && text.substr(i, 4) == "</s>") {
        ids.push_back(2);
        i += 4;
      } else {
        ids.push_back(static_cast<unsigned char>(text[i++]) + 3);
      }
    }
    return ids;
  }
  std::string decode(const std::vector<int>& ids, bool skip_special_tokens = true) const override {
    std::string s;
    for (int id : ids) {
      if (id >= 3) s += char(id - 3);
      else if (!skip_special_tokens) s += id == 1 ? "<s>" : id == 2 ? "</s>" : "<unk>";
    }
    return s;
  }
  int vocab_size() const override { return 259; }
  bool is_special(int id) const override { return id < 3; }
  std::optional<int> token_to_id(std::string_view token) const override {
    if (token == "<s>") return 1;
    if (token == "</s>") return 2;
    if (token.size() == 1) return static_cast<unsigned char>(token[0]) + 3;
    return std::nullopt;
  }
  std::string id_to_token(int id) const override {
    return id == 1 ? "<s>" : id == 2 ? "</s>" : id >= 3 ? std::string(1, char(id - 3)) : "<unk>";
  }
};

// One scratch directory per test (scratch_dir() empties it on every call); taken afresh when the
// listener removed it after an earlier run of the same test (--gtest_repeat).
inline std::filesystem::path data_scratch_dir() {
  static std::string current_test;
  static std::filesystem::path dir;
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string name = std::string(info->test_suite_name()) + "." + info->name();
  if (name != current_test || !std::filesystem::exists(dir)) {
    dir = scratch_dir();
    current_test = name;
  }
  return dir;
}

inline std::string write_scratch(const std::string& name, const std::string& content) {
  const auto p = data_scratch_dir() / name;
  write_file(p, content);
  return p.string();
}

// The message of the ft::Error that `fn` throws, after checking it is a bad-input error (exit 2).
template <class Fn>
std::string input_error(Fn fn) {
  try {
    fn();
  } catch (const ft::Error& e) {
    EXPECT_EQ(e.exit_code(), kExitBadInput) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no ft::Error thrown";
  return "";
}

}  // namespace ft::test
