#include "text/token_decoder.h"

#include "text/byte_level.h"
#include "text/utf8.h"

namespace ft {
namespace {

using json_fields::Where;

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (std::size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
}

// The byte of a "<0xAB>" token, or -1.
int byte_token_value(const std::string& t) {
  if (t.size() != 6 || t.compare(0, 3, "<0x") != 0 || t[5] != '>') return -1;
  int value = 0;
  for (int k = 3; k < 5; ++k) {
    const char c = t[k];
    const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10
                      : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

class ByteLevelDecoder final : public TokenDecoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string bytes;
    for (const std::string& t : tokens) bytes += byte_level::decode_token(t);
    tokens.assign(1, utf8::sanitize(bytes));
  }
};

class ByteFallbackDecoder final : public TokenDecoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    std::string pending;
    auto flush = [&] {
      if (pending.empty()) return;
      if (utf8::is_valid(pending)) out.push_back(pending);
      else
        for (std::size_t i = 0; i < pending.size(); ++i) out.emplace_back(utf8::kReplacement);
      pending.clear();
    };
    for (std::string& t : tokens) {
      const int b = byte_token_value(t);
      if (b >= 0) {
        pending.push_back(static_cast<char>(b));
      } else {
        flush();
        out.push_back(std::move(t));
      }
    }
    flush();
    tokens = std::move(out);
  }
};

class FuseDecoder final : public TokenDecoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string all;
    for (const std::string& t : tokens) all += t;
    tokens.assign(1, std::move(all));
  }
};

class ReplaceDecoder final : public TokenDecoder {
 public:
  ReplaceDecoder(std::string from, std::string to) : from_(std::move(from)), to_(std::move(to)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::string& t : tokens) replace_all(t, from_, to_);
  }

 private:
  std::string from_, to_;
};

// Removes up to `start` leading and `stop` trailing `content` characters from every token.
class StripDecoder final : public TokenDecoder {
 public:
  StripDecoder(std::string content, std::size_t start, std::size_t stop)
      : content_(std::move(content)), start_(start), stop_(stop) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    if (content_.empty()) return;
    for (std::string& t : tokens) {
      std::size_t begin = 0, end = t.size();
      for (std::size_t k = 0; k < start_ && t.compare(begin, content_.size(), content_) == 0; ++k)
        begin += content_.size();
      for (std::size_t k = 0; k < stop_ && end >= begin + content_.size() &&
                              t.compare(end - content_.size(), content_.size(), content_) == 0; ++k)
        end -= content_.size();
      t = t.substr(begin, end - begin);
    }
  }

 private:
  std::string content_;
  std::size_t start_, stop_;
};

// The replacement character becomes a space; in the first token (when a prefix was prepended at
// encode time) it is dropped instead, as HF's Metaspace decoder does.
class MetaspaceDecoder final : public TokenDecoder {
 public:
  MetaspaceDecoder(std::string replacement, bool drop_in_first)
      : replacement_(std::move(replacement)), drop_in_first_(drop_in_first) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::size_t i = 0; i < tokens.size(); ++i)
      replace_all(tokens[i], replacement_, i == 0 && drop_in_first_ ? "" : " ");
  }

 private:
  std::string replacement_;
  bool drop_in_first_;
};

class SequenceDecoder final : public TokenDecoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<TokenDecoder>> steps)
      : steps_(std::move(steps)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (const auto& step : steps_) step->decode_chain(tokens);
  }

 private:
  std::vector<std::unique_ptr<TokenDecoder>> steps_;
};

std::size_t get_count(const nlohmann::json& j, const char* key, const Where& w) {
  const nlohmann::json& v = json_fields::require(j, key, w);
  if (!v.is_number_unsigned()) w.at(key).fail("expected a non-negative integer");
  return v.get<std::size_t>();
}

}  // namespace

std::unique_ptr<TokenDecoder> parse_token_decoder(const nlohmann::json& j, const Where& w) {
  if (j.is_null()) return nullptr;
  const std::string type = json_fields::get_string(j, "type", w);
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Strip")
    return std::make_unique<StripDecoder>(json_fields::get_string(j, "content", w),
                                          get_count(j, "start", w), get_count(j, "stop", w));
  if (type == "Replace") {
    const nlohmann::json& pattern = json_fields::require(j, "pattern", w);
    if (!pattern.contains("String"))
      w.at("pattern").fail("only String patterns are supported in a Replace decoder");
    return std::make_unique<ReplaceDecoder>(json_fields::get_string(pattern, "String", w.at("pattern")),
                                            json_fields::get_string(j, "content", w));
  }
  if (type == "Metaspace") {
    std::string scheme = json_fields::get_string_or(j, "prepend_scheme", "", w);
    if (scheme.empty()) scheme = json_fields::get_bool(j, "add_prefix_space", true, w) ? "always" : "never";
    return std::make_unique<MetaspaceDecoder>(
        json_fields::get_string_or(j, "replacement", "\u2581", w), scheme != "never");
  }
  if (type == "Sequence") {
    const nlohmann::json& list = json_fields::require(j, "decoders", w);
    if (!list.is_array()) w.at("decoders").fail("expected a list");
    std::vector<std::unique_ptr<TokenDecoder>> steps;
    for (std::size_t i = 0; i < list.size(); ++i) {
      auto step = parse_token_decoder(list[i], w.at("decoders").index(i));
      if (step) steps.push_back(std::move(step));
    }
    return std::make_unique<SequenceDecoder>(std::move(steps));
  }
  w.at("type").fail("unsupported decoder \"" + type +
                    "\" (supported: ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip, Sequence)");
}

std::string decode_tokens(const TokenDecoder* decoder, std::vector<std::string> tokens) {
  std::string out;
  if (decoder == nullptr) {
    for (std::size_t i = 0; i < tokens.size(); ++i) out += (i ? " " : "") + tokens[i];
    return utf8::sanitize(out);
  }
  decoder->decode_chain(tokens);
  for (const std::string& t : tokens) out += t;
  return utf8::sanitize(out);
}

}  // namespace ft
