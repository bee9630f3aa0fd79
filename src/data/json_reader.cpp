// JSON array and JSON Lines parsing into raw records (declared in data/raw_records.h).
#include <algorithm>
#include <string>

#include "core/error.h"
#include "data/raw_records.h"

namespace ft::data {

namespace {

size_t line_of_offset(const std::string& text, size_t offset) {
  offset = std::min(offset, text.size());
  return 1 + size_t(std::count(text.begin(), text.begin() + std::ptrdiff_t(offset), '\n'));
}

// nlohmann's messages start with "[json.exception.parse_error.101] parse error at line 1, ...:"
// or "[json.exception.out_of_range.406] "; keep the part that describes the problem.
std::string short_json_message(const nlohmann::json::exception& e) {
  const std::string what = e.what();
  if (const size_t colon = what.rfind(": "); colon != std::string::npos) return what.substr(colon + 2);
  const size_t bracket = what.find("] ");
  return bracket == std::string::npos ? what : what.substr(bracket + 2);
}

const char* type_word(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::boolean: return "a boolean";
    case nlohmann::json::value_t::string: return "a string";
    case nlohmann::json::value_t::array: return "an array";
    case nlohmann::json::value_t::object: return "an object";
    default: return "a number";
  }
}

}  // namespace

std::vector<RawRecord> parse_json_array(const std::string& file, const std::string& text) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    fail_input(file, "malformed JSON at line " + std::to_string(line_of_offset(text, e.byte)) +
                         ": " + short_json_message(e));
  } catch (const nlohmann::json::exception& e) {  // a number beyond double's range (1e999)
    fail_input(file, "unreadable JSON: " + short_json_message(e));
  }
  if (doc.is_object()) doc = nlohmann::json::array({std::move(doc)});
  if (!doc.is_array())
    fail_input(file, std::string("the top-level JSON value is ") + type_word(doc) +
                         "; expected an array of records (objects)");
  std::vector<RawRecord> out;
  out.reserve(doc.size());
  for (size_t i = 0; i < doc.size(); ++i) {
    if (!doc[i].is_object())
      fail_input(file, "record " + std::to_string(i + 1) + " is " + type_word(doc[i]) +
                           "; expected an object such as {\"instruction\": ..., \"output\": ...}");
    out.push_back({std::move(doc[i]), 0});
  }
  return out;
}

std::vector<RawRecord> parse_json_lines(const std::string& file, const std::string& text) {
  std::vector<RawRecord> out;
  size_t line = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    ++line;
    const std::string_view row(text.data() + start, end - start);
    start = end + 1;
    if (row.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    nlohmann::json value;
    try {
      value = nlohmann::json::parse(row);
    } catch (const nlohmann::json::exception& e) {
      fail_input(file, "malformed JSON Lines record at line " + std::to_string(line) + ": " +
                           short_json_message(e));
    }
    if (!value.is_object())
      fail_input(file, "line " + std::to_string(line) + " is " + type_word(value) +
                           "; each JSON Lines row must be an object");
    out.push_back({std::move(value), line});
  }
  return out;
}

}  // namespace ft::data
