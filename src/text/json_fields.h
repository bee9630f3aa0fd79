// Typed field access for the tokenizer JSON files: a missing or mistyped field becomes ft::Error
// (exit code 2) naming the file and the field's path, e.g. `tokenizer.json: model.merges[3]: ...`.
#pragma once
#include <nlohmann/json.hpp>

#include <string>

#include "core/error.h"

namespace ft::json_fields {

using nlohmann::json;

// A file name plus the dotted path to the object being read, for error messages.
struct Where {
  std::string file;
  std::string path;
  Where at(const std::string& key) const { return {file, path.empty() ? key : path + "." + key}; }
  Where index(std::size_t i) const { return {file, path + "[" + std::to_string(i) + "]"}; }
  [[noreturn]] void fail(const std::string& message) const {
    fail_input(file, (path.empty() ? "" : path + ": ") + message);
  }
};

inline const json& require(const json& j, const char* key, const Where& w) {
  if (!j.is_object()) w.fail("expected a JSON object");
  const auto it = j.find(key);
  if (it == j.end()) w.fail(std::string("missing field \"") + key + "\"");
  return *it;
}

inline std::string get_string(const json& j, const char* key, const Where& w) {
  const json& v = require(j, key, w);
  if (!v.is_string()) w.at(key).fail("expected a string");
  return v.get<std::string>();
}

inline bool get_bool(const json& j, const char* key, bool fallback, const Where& w) {
  if (!j.is_object()) w.fail("expected a JSON object");
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) w.at(key).fail("expected true or false");
  return it->get<bool>();
}

inline std::string get_string_or(const json& j, const char* key, const std::string& fallback,
                                 const Where& w) {
  if (!j.is_object()) w.fail("expected a JSON object");
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_string()) w.at(key).fail("expected a string");
  return it->get<std::string>();
}

}  // namespace ft::json_fields
