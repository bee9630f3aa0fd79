#include "text/tokenizer_config.h"

#include <fstream>
#include <sstream>

#include "core/error.h"
#include "text/json_fields.h"

namespace ft {
namespace {

using json_fields::Where;
namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail_input(path.string(), "cannot read this file (check that it exists and is readable)");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A token given as "text", {"content": "text", ...} or null.
std::optional<std::string> token_text(const nlohmann::json& j, const char* key, const Where& w) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object()) return json_fields::get_string(*it, "content", w.at(key));
  w.at(key).fail("expected a string, an object with \"content\", or null");
}

std::optional<bool> optional_bool(const nlohmann::json& j, const char* key, const Where& w) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) w.at(key).fail("expected true or false");
  return it->get<bool>();
}

std::optional<std::string> chat_template(const nlohmann::json& j, const Where& w) {
  const auto it = j.find("chat_template");
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (!it->is_array()) w.at("chat_template").fail("expected a string or a list of {name, template}");
  for (std::size_t i = 0; i < it->size(); ++i) {
    const Where iw = w.at("chat_template").index(i);
    if (json_fields::get_string((*it)[i], "name", iw) == "default")
      return json_fields::get_string((*it)[i], "template", iw);
  }
  return std::nullopt;
}

std::vector<AddedToken> added_tokens_decoder(const nlohmann::json& j, const Where& w) {
  std::vector<AddedToken> tokens;
  const auto it = j.find("added_tokens_decoder");
  if (it == j.end() || it->is_null()) return tokens;
  if (!it->is_object()) w.at("added_tokens_decoder").fail("expected an object of id: token");
  for (const auto& [key, value] : it->items()) {
    const Where tw = w.at("added_tokens_decoder").at(key);
    AddedToken t;
    try {
      t.id = std::stoi(key);
    } catch (const std::exception&) {
      tw.fail("the key must be a token id");
    }
    t.content = json_fields::get_string(value, "content", tw);
    t.special = json_fields::get_bool(value, "special", false, tw);
    t.lstrip = json_fields::get_bool(value, "lstrip", false, tw);
    t.rstrip = json_fields::get_bool(value, "rstrip", false, tw);
    t.single_word = json_fields::get_bool(value, "single_word", false, tw);
    t.normalized = json_fields::get_bool(value, "normalized", !t.special, tw);
    tokens.push_back(t);
  }
  return tokens;
}

std::vector<int> eos_ids(const nlohmann::json& j, const Where& w) {
  const auto it = j.find("eos_token_id");
  if (it == j.end() || it->is_null()) return {};
  if (it->is_number_integer()) return {it->get<int>()};
  std::vector<int> ids;
  if (it->is_array())
    for (const auto& v : *it) {
      if (!v.is_number_integer()) break;
      ids.push_back(v.get<int>());
    }
  if (!it->is_array() || ids.size() != it->size())
    w.at("eos_token_id").fail("expected a token id or a list of token ids");
  return ids;
}

}  // namespace

nlohmann::json read_json_file(const fs::path& path) {
  const std::string text = read_text(path);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    fail_input(path.string(), std::string("not valid JSON (") + e.what() + ")");
  }
}

TokenizerConfig read_tokenizer_config(const fs::path& dir) {
  TokenizerConfig config;
  const fs::path config_path = dir / "tokenizer_config.json";
  if (fs::exists(config_path)) {
    const nlohmann::json j = read_json_file(config_path);
    const Where w{config_path.string(), ""};
    if (!j.is_object()) w.fail("expected a JSON object");
    config.add_bos_token = optional_bool(j, "add_bos_token", w);
    config.add_eos_token = optional_bool(j, "add_eos_token", w);
    config.bos_token = token_text(j, "bos_token", w);
    config.eos_token = token_text(j, "eos_token", w);
    config.added_tokens = added_tokens_decoder(j, w);
    config.chat_template = chat_template(j, w);
  }
  const fs::path map_path = dir / "special_tokens_map.json";
  if (fs::exists(map_path)) {
    const nlohmann::json j = read_json_file(map_path);
    const Where w{map_path.string(), ""};
    if (!j.is_object()) w.fail("expected a JSON object");
    if (!config.bos_token) config.bos_token = token_text(j, "bos_token", w);
    if (!config.eos_token) config.eos_token = token_text(j, "eos_token", w);
  }
  const fs::path template_path = dir / "chat_template.jinja";
  if (fs::exists(template_path)) config.chat_template = read_text(template_path);
  const fs::path generation_path = dir / "generation_config.json";
  if (fs::exists(generation_path)) {
    const nlohmann::json j = read_json_file(generation_path);
    const Where w{generation_path.string(), ""};
    if (!j.is_object()) w.fail("expected a JSON object");
    config.generation_eos_ids = eos_ids(j, w);
  }
  return config;
}

}  // namespace ft
