#include "text/pretokenizer.h"

#include <algorithm>
#include <stdexcept>

#include "text/byte_level.h"
#include "text/regex_pcre2.h"

namespace ft {
namespace {

using json_fields::Where;
using Span = std::pair<std::size_t, std::size_t>;

constexpr const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

enum class Behavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

// Cuts `text` into spans by `matches`, applying HF's SplitDelimiterBehavior; empty spans vanish.
std::vector<Span> apply_behavior(std::size_t size, const std::vector<Span>& matches,
                                 Behavior behavior, bool invert) {
  struct Part {
    Span span;
    bool is_match;
  };
  std::vector<Part> parts;
  std::size_t last = 0;
  for (const Span& m : matches) {
    if (m.first > last) parts.push_back({{last, m.first}, invert});
    parts.push_back({m, !invert});
    last = m.second;
  }
  if (last < size) parts.push_back({{last, size}, invert});

  std::vector<Span> out;
  switch (behavior) {
    case Behavior::kRemoved:
      for (const Part& p : parts)
        if (!p.is_match) out.push_back(p.span);
      break;
    case Behavior::kIsolated:
      for (const Part& p : parts) out.push_back(p.span);
      break;
    case Behavior::kContiguous:
      for (std::size_t i = 0; i < parts.size(); ++i) {
        if (parts[i].is_match && i > 0 && parts[i - 1].is_match)
          out.back().second = parts[i].span.second;
        else
          out.push_back(parts[i].span);
      }
      break;
    case Behavior::kMergedWithPrevious: {
      bool previous_match = false;
      for (const Part& p : parts) {
        if (p.is_match && !previous_match && !out.empty())
          out.back().second = p.span.second;
        else
          out.push_back(p.span);
        previous_match = p.is_match;
      }
      break;
    }
    case Behavior::kMergedWithNext: {
      bool next_match = false;
      for (std::size_t i = parts.size(); i-- > 0;) {
        if (parts[i].is_match && !next_match && !out.empty())
          out.back().first = parts[i].span.first;
        else
          out.push_back(parts[i].span);
        next_match = parts[i].is_match;
      }
      std::reverse(out.begin(), out.end());
      break;
    }
  }
  return out;
}

// Replaces each piece by its spans as cut by `find` and `behavior`.
template <typename Find>
void split_pieces(std::vector<PreToken>& pieces, Find find, Behavior behavior, bool invert) {
  std::vector<PreToken> out;
  out.reserve(pieces.size());
  for (const PreToken& piece : pieces) {
    const std::vector<Span> spans =
        apply_behavior(piece.text.size(), find(piece.text), behavior, invert);
    for (const Span& s : spans)
      out.push_back({piece.text.substr(s.first, s.second - s.first),
                     piece.at_input_start && s.first == 0});
  }
  pieces = std::move(out);
}

std::vector<Span> find_literal(const std::string& text, const std::string& needle) {
  std::vector<Span> matches;
  if (needle.empty()) return matches;
  for (std::size_t pos = text.find(needle); pos != std::string::npos;
       pos = text.find(needle, pos + needle.size()))
    matches.emplace_back(pos, pos + needle.size());
  return matches;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (std::size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
}

std::unique_ptr<Pcre2Regex> compile(const std::string& pattern, const Where& w) {
  try {
    return std::make_unique<Pcre2Regex>(pattern);
  } catch (const std::invalid_argument& e) {
    w.fail(e.what());
  }
}

class SplitPreTokenizer final : public PreTokenizer {
 public:
  SplitPreTokenizer(const nlohmann::json& j, const Where& w) {
    const nlohmann::json& pattern = json_fields::require(j, "pattern", w);
    if (pattern.contains("Regex"))
      regex_ = compile(json_fields::get_string(pattern, "Regex", w.at("pattern")), w.at("pattern"));
    else
      literal_ = json_fields::get_string(pattern, "String", w.at("pattern"));
    const std::string behavior = json_fields::get_string(j, "behavior", w);
    if (behavior == "Removed") behavior_ = Behavior::kRemoved;
    else if (behavior == "Isolated") behavior_ = Behavior::kIsolated;
    else if (behavior == "MergedWithPrevious") behavior_ = Behavior::kMergedWithPrevious;
    else if (behavior == "MergedWithNext") behavior_ = Behavior::kMergedWithNext;
    else if (behavior == "Contiguous") behavior_ = Behavior::kContiguous;
    else w.at("behavior").fail("unknown split behavior \"" + behavior + "\"");
    invert_ = json_fields::get_bool(j, "invert", false, w);
  }

  void split(std::vector<PreToken>& pieces) const override {
    split_pieces(
        pieces,
        [&](const std::string& text) {
          return regex_ ? regex_->find_all(text) : find_literal(text, literal_);
        },
        behavior_, invert_);
  }

 private:
  std::unique_ptr<Pcre2Regex> regex_;
  std::string literal_;
  Behavior behavior_ = Behavior::kIsolated;
  bool invert_ = false;
};

class ByteLevelPreTokenizer final : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(const nlohmann::json& j, const Where& w)
      : add_prefix_space_(json_fields::get_bool(j, "add_prefix_space", true, w)) {
    if (json_fields::get_bool(j, "use_regex", true, w)) regex_ = compile(kGpt2Pattern, w);
  }

  void split(std::vector<PreToken>& pieces) const override {
    if (add_prefix_space_)
      for (PreToken& p : pieces)
        if (p.text.empty() || p.text[0] != ' ') p.text.insert(0, " ");
    if (regex_)
      split_pieces(
          pieces, [&](const std::string& text) { return regex_->find_all(text); },
          Behavior::kIsolated, false);
    for (PreToken& p : pieces) p.text = byte_level::encode(p.text);
  }

 private:
  bool add_prefix_space_;
  std::unique_ptr<Pcre2Regex> regex_;
};

class MetaspacePreTokenizer final : public PreTokenizer {
 public:
  enum class Prepend { kAlways, kFirst, kNever };

  MetaspacePreTokenizer(const nlohmann::json& j, const Where& w)
      : replacement_(json_fields::get_string_or(j, "replacement", "\u2581", w)),
        split_(json_fields::get_bool(j, "split", true, w)) {
    std::string scheme = json_fields::get_string_or(j, "prepend_scheme", "", w);
    if (scheme.empty()) scheme = json_fields::get_bool(j, "add_prefix_space", true, w) ? "always" : "never";
    if (scheme == "always") prepend_ = Prepend::kAlways;
    else if (scheme == "first") prepend_ = Prepend::kFirst;
    else if (scheme == "never") prepend_ = Prepend::kNever;
    else w.at("prepend_scheme").fail("unknown prepend_scheme \"" + scheme + "\"");
  }

  void split(std::vector<PreToken>& pieces) const override {
    for (PreToken& p : pieces) {
      replace_all(p.text, " ", replacement_);
      const bool wanted = prepend_ == Prepend::kAlways || (prepend_ == Prepend::kFirst && p.at_input_start);
      if (wanted && p.text.rfind(replacement_, 0) != 0) p.text.insert(0, replacement_);
    }
    if (split_)
      split_pieces(
          pieces, [&](const std::string& text) { return find_literal(text, replacement_); },
          Behavior::kMergedWithNext, false);
  }

 private:
  std::string replacement_;
  bool split_;
  Prepend prepend_ = Prepend::kAlways;
};

class SequencePreTokenizer final : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> steps)
      : steps_(std::move(steps)) {}
  void split(std::vector<PreToken>& pieces) const override {
    for (const auto& step : steps_) step->split(pieces);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

}  // namespace

std::unique_ptr<PreTokenizer> parse_pre_tokenizer(const nlohmann::json& j, const Where& w) {
  if (j.is_null()) return nullptr;
  const std::string type = json_fields::get_string(j, "type", w);
  if (type == "Split") return std::make_unique<SplitPreTokenizer>(j, w);
  if (type == "ByteLevel") return std::make_unique<ByteLevelPreTokenizer>(j, w);
  if (type == "Metaspace") return std::make_unique<MetaspacePreTokenizer>(j, w);
  if (type == "Sequence") {
    const nlohmann::json& list = json_fields::require(j, "pretokenizers", w);
    if (!list.is_array()) w.at("pretokenizers").fail("expected a list");
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    for (std::size_t i = 0; i < list.size(); ++i) {
      auto step = parse_pre_tokenizer(list[i], w.at("pretokenizers").index(i));
      if (step) steps.push_back(std::move(step));
    }
    return std::make_unique<SequencePreTokenizer>(std::move(steps));
  }
  w.at("type").fail("unsupported pre-tokenizer \"" + type +
                    "\" (supported: Split, ByteLevel, Metaspace, Sequence)");
}

}  // namespace ft
