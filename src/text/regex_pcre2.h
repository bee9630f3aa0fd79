// A compiled PCRE2 pattern with Unicode semantics (PCRE2_UTF | PCRE2_UCP, JIT when available), for
// the Oniguruma-style split regexes in tokenizer.json files. Thread-safe: matching state is per call.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ft {

class Pcre2Regex {
 public:
  // Throws std::invalid_argument with PCRE2's message and offset when the pattern does not compile.
  explicit Pcre2Regex(const std::string& pattern);
  ~Pcre2Regex();
  Pcre2Regex(const Pcre2Regex&) = delete;
  Pcre2Regex& operator=(const Pcre2Regex&) = delete;

  // Non-empty, non-overlapping matches [begin, end) left to right; `subject` must be valid UTF-8.
  std::vector<std::pair<std::size_t, std::size_t>> find_all(std::string_view subject) const;

 private:
  struct Code;
  std::unique_ptr<Code> code_;
  bool jit_ = false;
};

}  // namespace ft
