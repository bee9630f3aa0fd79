#include "text/normalizer.h"

#include <utf8proc.h>

#include <cstdlib>
#include <vector>

#include "text/utf8.h"

namespace ft {
namespace {

using json_fields::Where;

bool is_ascii(const std::string& s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

class UnicodeNormalizer final : public Normalizer {
 public:
  explicit UnicodeNormalizer(int options) : options_(options) {}
  std::string apply(std::string text) const override {
    if (is_ascii(text)) return text;  // every normal form leaves ASCII unchanged
    utf8proc_uint8_t* out = nullptr;
    const utf8proc_ssize_t n =
        utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                     static_cast<utf8proc_ssize_t>(text.size()), &out,
                     static_cast<utf8proc_option_t>(options_));
    if (n < 0) return text;  // cannot happen for valid UTF-8; keep the text rather than lose it
    std::string result(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
    std::free(out);
    return result;
  }

 private:
  int options_;
};

class PrependNormalizer final : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prefix) : prefix_(std::move(prefix)) {}
  std::string apply(std::string text) const override {
    return text.empty() ? text : prefix_ + text;
  }

 private:
  std::string prefix_;
};

class ReplaceNormalizer final : public Normalizer {
 public:
  ReplaceNormalizer(std::string from, std::string to) : from_(std::move(from)), to_(std::move(to)) {}
  std::string apply(std::string text) const override {
    if (from_.empty()) return text;
    std::string out;
    std::size_t last = 0;
    for (std::size_t pos = text.find(from_); pos != std::string::npos;
         pos = text.find(from_, last)) {
      out.append(text, last, pos - last);
      out += to_;
      last = pos + from_.size();
    }
    out.append(text, last);
    return out;
  }

 private:
  std::string from_, to_;
};

class LowercaseNormalizer final : public Normalizer {
 public:
  std::string apply(std::string text) const override {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();)
      utf8::append(out, static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(utf8::next(text, i)))));
    return out;
  }
};

class SequenceNormalizer final : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> steps)
      : steps_(std::move(steps)) {}
  std::string apply(std::string text) const override {
    for (const auto& step : steps_) text = step->apply(std::move(text));
    return text;
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> steps_;
};

}  // namespace

std::unique_ptr<Normalizer> parse_normalizer(const nlohmann::json& j, const Where& w) {
  if (j.is_null()) return nullptr;
  const std::string type = json_fields::get_string(j, "type", w);
  const int stable = UTF8PROC_STABLE;
  if (type == "NFC") return std::make_unique<UnicodeNormalizer>(stable | UTF8PROC_COMPOSE);
  if (type == "NFD") return std::make_unique<UnicodeNormalizer>(stable | UTF8PROC_DECOMPOSE);
  if (type == "NFKC")
    return std::make_unique<UnicodeNormalizer>(stable | UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
  if (type == "NFKD")
    return std::make_unique<UnicodeNormalizer>(stable | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT);
  if (type == "Prepend") return std::make_unique<PrependNormalizer>(json_fields::get_string(j, "prepend", w));
  if (type == "Lowercase") return std::make_unique<LowercaseNormalizer>();
  if (type == "Replace") {
    const nlohmann::json& pattern = json_fields::require(j, "pattern", w);
    if (!pattern.contains("String"))
      w.at("pattern").fail("only String patterns are supported in a Replace normalizer");
    return std::make_unique<ReplaceNormalizer>(json_fields::get_string(pattern, "String", w.at("pattern")),
                                               json_fields::get_string(j, "content", w));
  }
  if (type == "Sequence") {
    const nlohmann::json& list = json_fields::require(j, "normalizers", w);
    if (!list.is_array()) w.at("normalizers").fail("expected a list");
    std::vector<std::unique_ptr<Normalizer>> steps;
    for (std::size_t i = 0; i < list.size(); ++i) {
      auto step = parse_normalizer(list[i], w.at("normalizers").index(i));
      if (step) steps.push_back(std::move(step));
    }
    return std::make_unique<SequenceNormalizer>(std::move(steps));
  }
  w.at("type").fail("unsupported normalizer \"" + type +
                    "\" (supported: NFC, NFD, NFKC, NFKD, Prepend, Replace, Lowercase, Sequence)");
}

}  // namespace ft
