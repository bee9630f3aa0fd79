// A deterministic mutation fuzzer for parse_safetensors: valid images are corrupted by byte
// flips, truncation, length-field edits and JSON-aware edits, and every result must either parse
// into views that lie inside the image and match shape × dtype, or throw ft::Error. Each image
// lives in an exactly-sized heap buffer, so under ASan any read past it aborts the test.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "formats/safetensors.h"
#include "safetensors_test_util.h"

namespace {

using Image = std::vector<std::byte>;

std::vector<Image> seed_images() {
  using ft::test::safetensors_image;
  return {
      safetensors_image(R"({"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
                        R"("b":{"dtype":"BF16","shape":[3],"data_offsets":[24,30]},)"
                        R"("h":{"dtype":"F16","shape":[1,1],"data_offsets":[30,32]}})",
                        32),
      safetensors_image(R"({"__metadata__":{"format":"pt"},"x":{"dtype":"F32","shape":[],"data_offsets":[0,4]},)"
                        R"("e":{"dtype":"BF16","shape":[0,7],"data_offsets":[4,4]}}  )",
                        4),
      safetensors_image(R"({"model.layers.0.self_attn.q_proj.weight":{"dtype":"BF16","shape":[4,4],)"
                        R"("data_offsets":[0,32]}})",
                        32),
      safetensors_image("{}      ", 0),
  };
}

class Mutator {
 public:
  explicit Mutator(uint64_t seed) : rng_(seed) {}

  Image mutate(Image img) {
    const int edits = 1 + static_cast<int>(below(3));
    for (int i = 0; i < edits; ++i) {
      switch (below(6)) {
        case 0: flip_byte(img); break;
        case 1: set_header_byte(img); break;
        case 2: img.resize(below(img.size() + 1)); break;
        case 3: edit_length(img); break;
        case 4: edit_number(img); break;
        default: splice_token(img); break;
      }
    }
    return img;
  }

 private:
  uint64_t below(uint64_t n) { return n ? rng_() % n : 0; }

  void flip_byte(Image& img) {
    if (!img.empty()) img[below(img.size())] ^= static_cast<std::byte>(1u << below(8));
  }

  // Structural JSON characters are where a parser's assumptions break.
  void set_header_byte(Image& img) {
    static const char kChars[] = "{}[]\",:-0123456789eE.\\ \x00\xff";
    if (img.size() > 8) img[8 + below(img.size() - 8)] = static_cast<std::byte>(kChars[below(sizeof kChars - 1)]);
  }

  void edit_length(Image& img) {
    if (img.size() < 8) return;
    uint64_t n = 0;
    std::memcpy(&n, img.data(), 8);
    switch (below(4)) {
      case 0: n += below(17) - 8; break;
      case 1: n = rng_(); break;
      case 2: n = UINT64_MAX - below(16); break;
      default: n = below(img.size() + 8); break;
    }
    std::memcpy(img.data(), &n, 8);
  }

  // Replaces one run of digits in the header with an extreme or nearby value.
  void edit_number(Image& img) {
    std::string s(reinterpret_cast<const char*>(img.data()), img.size());
    std::vector<size_t> starts;
    for (size_t i = 9; i < s.size(); ++i)
      if (std::isdigit(static_cast<unsigned char>(s[i])) && !std::isdigit(static_cast<unsigned char>(s[i - 1])))
        starts.push_back(i);
    if (starts.empty()) return;
    const size_t at = starts[below(starts.size())];
    size_t end = at;
    while (end < s.size() && std::isdigit(static_cast<unsigned char>(s[end]))) ++end;
    static const char* kValues[] = {"0", "1", "-1", "4", "24", "18446744073709551615", "18446744073709551616",
                                    "9223372036854775807", "4294967296", "1e300", "2.5", "-0"};
    const std::string value = below(3) == 0 ? std::to_string(below(64)) : kValues[below(std::size(kValues))];
    s.replace(at, end - at, value);
    img.assign(reinterpret_cast<const std::byte*>(s.data()), reinterpret_cast<const std::byte*>(s.data()) + s.size());
  }

  // Swaps in another token: wrong dtypes, wrong types, duplicate keys, nesting.
  void splice_token(Image& img) {
    if (img.size() <= 8) return;
    static const char* kTokens[] = {"\"I64\"", "\"F64\"", "null", "true", "[]", "{}", "[[[[[[", "\"shape\"",
                                    "\"data_offsets\":[0,4]", "\"dtype\":\"F32\"", "\"__metadata__\"", ",",
                                    "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"};
    const std::string token = kTokens[below(std::size(kTokens))];
    const size_t at = 8 + below(img.size() - 8);
    const size_t erase = std::min<size_t>(below(8), img.size() - at);
    img.erase(img.begin() + static_cast<std::ptrdiff_t>(at), img.begin() + static_cast<std::ptrdiff_t>(at + erase));
    img.insert(img.begin() + static_cast<std::ptrdiff_t>(at), reinterpret_cast<const std::byte*>(token.data()),
               reinterpret_cast<const std::byte*>(token.data()) + token.size());
  }

  std::mt19937_64 rng_;
};

// Parses a copy in an exactly-sized buffer; returns true when it parsed.
bool check_parse(const Image& mutated) {
  const auto buf = std::make_unique<std::byte[]>(mutated.size() + 1);  // +1: never a null data()
  std::memcpy(buf.get(), mutated.data(), mutated.size());
  const std::span<const std::byte> image(buf.get(), mutated.size());
  std::vector<ft::TensorView> views;
  try {
    views = ft::parse_safetensors(image, "fuzz.safetensors");
  } catch (const ft::Error& e) {
    EXPECT_EQ(e.exit_code(), ft::kExitBadInput);
    EXPECT_EQ(std::string(e.what()).rfind("fuzz.safetensors: ", 0), 0u) << e.what();
    return false;
  }
  unsigned checksum = 0;
  for (const auto& v : views) {
    EXPECT_GE(v.bytes.data(), image.data() + 8);
    EXPECT_LE(v.bytes.data() + v.bytes.size(), image.data() + image.size());
    EXPECT_EQ(v.bytes.size(), static_cast<size_t>(v.numel()) * ft::dtype_size(v.dtype)) << v.name;
    for (std::byte b : v.bytes) checksum += std::to_integer<unsigned>(b);  // ASan checks each read
  }
  return checksum != ~0u;
}

}  // namespace

TEST(SafetensorsFuzz, SeedsParse) {
  for (const auto& seed : seed_images()) EXPECT_TRUE(check_parse(seed));
}

TEST(SafetensorsFuzz, MutatedImagesParseSafelyOrThrow) {
  const auto seeds = seed_images();
  Mutator mutator(20240601);
  int parsed = 0;
  constexpr int kIterations = 6000;
  for (int i = 0; i < kIterations; ++i) {
    parsed += check_parse(mutator.mutate(seeds[static_cast<size_t>(i) % seeds.size()]));
    if (::testing::Test::HasFailure()) FAIL() << "at iteration " << i;
  }
  // Some mutations are harmless (a flipped data byte): the fuzzer must reach both outcomes.
  EXPECT_GT(parsed, 0);
  EXPECT_LT(parsed, kIterations);
}
