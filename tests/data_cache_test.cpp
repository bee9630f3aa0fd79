// SHA-256 and the on-disk token cache: known digests, round trip, and misses (never errors) for
// corrupt, truncated or foreign cache files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "core/sha256.h"
#include "data/token_cache.h"
#include "data_test_helpers.h"

namespace ft::data {
namespace {

TEST(DataSha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  Sha256 chunked;  // 1000 bytes fed in uneven pieces crosses block boundaries
  const std::string a(1000, 'a');
  for (size_t i = 0; i < a.size(); i += 37) chunked.update(a.substr(i, 37));
  EXPECT_EQ(chunked.hex_digest(), "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}

TokenizedRecords sample_records() {
  TokenizedRecords t;
  t.examples = {{{1, 5, 6, 2}, {-100, -100, 6, 2}}, {}, {{1, 9}, {-100, 9}}};
  t.truncated = {0, 0, 1};
  return t;
}

const std::string kKey = std::string(64, 'a');

TEST(DataTokenCache, RoundTrip) {
  const auto dir = ft::test::data_scratch_dir();
  const std::string path = token_cache_path(dir.string(), kKey);
  write_token_cache(path, kKey, sample_records());
  std::string problem;
  const auto back = read_token_cache(path, kKey, problem);
  ASSERT_TRUE(back.has_value()) << problem;
  EXPECT_EQ(back->truncated, sample_records().truncated);
  ASSERT_EQ(back->examples.size(), 3u);
  EXPECT_EQ(back->examples[0].labels, sample_records().examples[0].labels);
  EXPECT_TRUE(back->examples[1].ids.empty());
  EXPECT_EQ(back->examples[2].ids, sample_records().examples[2].ids);
  for (const auto& e : std::filesystem::directory_iterator(dir))
    EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << "temp file left behind";
}

// A cache that could not be written stopped every command reading data (eval, data preview, a
// dry run on a read-only output directory); it is now a reason given back, with the system's.
TEST(DataTokenCache, AWriteThatFailsIsAReasonNotAnError) {
  const auto dir = ft::test::data_scratch_dir();
  ft::test::write_file(dir / "a_file", "x");
  std::string problem = write_token_cache(token_cache_path((dir / "a_file" / "cache").string(), kKey), kKey,
                                          sample_records());
  EXPECT_NE(problem.find("cannot create the token cache directory"), std::string::npos) << problem;
  // A full disk: the temp file is /dev/full, which refuses every write.
  const std::string path = token_cache_path(dir.string(), kKey);
  std::filesystem::create_symlink("/dev/full", path + ".tmp." + std::to_string(getpid()));
  problem = write_token_cache(path, kKey, sample_records());
  EXPECT_NE(problem.find("cannot write the token cache " + path + " (No space left on device)"), std::string::npos)
      << problem;
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(DataTokenCache, MissingCorruptOrForeignIsAMiss) {
  const auto dir = ft::test::data_scratch_dir();
  const std::string path = token_cache_path(dir.string(), kKey);
  std::string problem;
  EXPECT_FALSE(read_token_cache(path, kKey, problem).has_value());
  write_token_cache(path, kKey, sample_records());
  EXPECT_FALSE(read_token_cache(path, std::string(64, 'b'), problem).has_value());
  EXPECT_NE(problem.find("key mismatch"), std::string::npos);
  std::string bytes = ft::test::read_file(path);
  bytes[bytes.size() / 2] ^= 1;
  ft::test::write_file(path, bytes);
  EXPECT_FALSE(read_token_cache(path, kKey, problem).has_value());
  EXPECT_NE(problem.find("corrupt"), std::string::npos);
  ft::test::write_file(path, bytes.substr(0, 10));
  EXPECT_FALSE(read_token_cache(path, kKey, problem).has_value());
}

}  // namespace
}  // namespace ft::data
