// SHA-256 (FIPS 180-4) for content keys: dataset cache keys, file identity checks.
// Incremental: update() any number of times, then digest() once; hex helpers for keys and logs.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ft {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  void update(std::string_view s) { update(s.data(), s.size()); }
  std::array<uint8_t, 32> digest();  // finalises; the object must not be updated afterwards
  std::string hex_digest();

 private:
  void compress(const uint8_t* block);
  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_{};
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

std::string sha256_hex(std::string_view data);
// Hashes a file's bytes in chunks; throws ft::Error (exit 2) naming the file if it cannot be read.
std::string sha256_file_hex(const std::string& path);

}  // namespace ft
