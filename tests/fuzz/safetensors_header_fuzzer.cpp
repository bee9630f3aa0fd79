// libFuzzer harness for parse_safetensors (not part of the default build; the seeded mutation
// fuzzer in tests/safetensors_fuzz_test.cpp runs in the unit suite instead).
//
// Build and run with clang (Debian: apt-get install clang), from the project root:
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Isrc
//     tests/fuzz/safetensors_header_fuzzer.cpp src/formats/safetensors_parse.cpp -o /tmp/st_fuzz
// (one command).
//   mkdir -p /tmp/st_corpus && /tmp/st_fuzz -max_len=4096 -max_total_time=300 /tmp/st_corpus
// Any crash, sanitizer report or exception other than ft::Error is a bug.
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/error.h"
#include "formats/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const std::byte> image(reinterpret_cast<const std::byte*>(data), size);
  try {
    for (const auto& view : ft::parse_safetensors(image, "fuzz")) {
      if (view.bytes.data() < image.data() || view.bytes.data() + view.bytes.size() > image.data() + size)
        __builtin_trap();
    }
  } catch (const ft::Error&) {
  }
  return 0;
}
