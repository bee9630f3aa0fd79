// Helpers for the safetensors tests: hand-built images (for malformed headers the writer would
// never produce) and a check that a call fails as ft::Error with exit code 2 naming what it must.
#pragma once
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "core/error.h"

namespace ft::test {

// 8-byte little-endian length + `header` + `data_bytes` bytes of data (value = index).
inline std::vector<std::byte> safetensors_image(const std::string& header, size_t data_bytes) {
  std::vector<std::byte> img(8 + header.size() + data_bytes);
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) img[i] = static_cast<std::byte>(n >> (8 * i));
  std::memcpy(img.data() + 8, header.data(), header.size());
  for (size_t i = 0; i < data_bytes; ++i) img[8 + header.size() + i] = static_cast<std::byte>(i);
  return img;
}

inline std::string image_string(const std::vector<std::byte>& img) {
  return std::string(reinterpret_cast<const char*>(img.data()), img.size());
}

// Runs `fn`, requiring an ft::Error with kExitBadInput whose single-line message contains each of
// `needles`.
template <class Fn>
void expect_input_error(Fn&& fn, std::initializer_list<std::string> needles) {
  try {
    fn();
    ADD_FAILURE() << "expected an ft::Error";
  } catch (const ft::Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(e.exit_code(), ft::kExitBadInput) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    for (const auto& n : needles) EXPECT_NE(msg.find(n), std::string::npos) << "'" << n << "' not in: " << msg;
  }
}

}  // namespace ft::test
