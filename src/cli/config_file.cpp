#include "cli/config_file.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/error.h"

namespace ft::cli {

namespace {

std::map<std::string, std::string, std::less<>>& origins() {
  static std::map<std::string, std::string, std::less<>> map;
  return map;
}

bool has_config_extension(const std::string& path) {
  const std::string ext = std::filesystem::path(path).extension().string();
  return ext == ".json" || ext == ".yaml" || ext == ".yml";
}

using Entries = std::vector<std::pair<std::string, std::vector<std::string>>>;

// JSON configs are YAML too, but nlohmann gives exact line/column errors for JSON.
Entries read_json(const std::string& path, const std::string& text) {
  nlohmann::ordered_json doc;
  try {
    doc = nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    fail_usage(path + ": not valid JSON: " + e.what());
  }
  if (!doc.is_object()) fail_usage(path + ": the config must be a JSON object of flag names to values");
  Entries out;
  const auto scalar = [&](const std::string& key, const nlohmann::ordered_json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_boolean()) return std::string(v.get<bool>() ? "true" : "false");
    if (v.is_number()) return v.dump();
    fail_usage(path + ": \"" + key + "\" must be a string, number, boolean or a list of them");
  };
  for (const auto& [key, value] : doc.items()) {
    if (value.is_null()) continue;
    std::vector<std::string> values;
    if (value.is_array())
      for (const auto& item : value) values.push_back(scalar(key, item));
    else
      values.push_back(scalar(key, value));
    out.emplace_back(key, std::move(values));
  }
  return out;
}

Entries read_yaml(const std::string& path, const std::string& text) {
  YAML::Node doc;
  try {
    doc = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    fail_usage(path + ": not valid YAML: " + e.what());
  }
  if (!doc.IsMap()) fail_usage(path + ": the config must be a YAML mapping of flag names to values");
  Entries out;
  for (const auto& entry : doc) {
    const std::string key = entry.first.as<std::string>();
    const YAML::Node& value = entry.second;
    if (value.IsNull()) continue;
    std::vector<std::string> values;
    if (value.IsSequence()) {
      for (const auto& item : value) {
        if (!item.IsScalar()) fail_usage(path + ": \"" + key + "\" must be a list of scalars");
        values.push_back(item.Scalar());
      }
    } else if (value.IsScalar()) {
      values.push_back(value.Scalar());
    } else {
      fail_usage(path + ": \"" + key + "\" must be a string, number, boolean or a list of them");
    }
    out.emplace_back(key, std::move(values));
  }
  return out;
}

std::string flag_name(const std::string& arg) { return arg.substr(0, arg.find('=')); }

}  // namespace

std::string config_origin(std::string_view flag) {
  const auto it = origins().find(flag);
  return it == origins().end() ? "" : it->second;
}

std::vector<std::string> expand_config_file(std::vector<std::string> args) {
  if (args.empty() || (args[0] != "train" && args[0] != "eval")) return args;
  std::string path;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      path = args[i + 1];
      args.erase(args.begin() + std::ptrdiff_t(i), args.begin() + std::ptrdiff_t(i + 2));
      break;
    }
    if (args[i].rfind("--config=", 0) == 0) {
      path = args[i].substr(9);
      args.erase(args.begin() + std::ptrdiff_t(i));
      break;
    }
  }
  if (path.empty() && args.size() > 1 && args[1].rfind("-", 0) != 0 && has_config_extension(args[1])) {
    path = args[1];
    args.erase(args.begin() + 1);
  }
  if (path.empty()) return args;

  std::ifstream in(path);
  if (!in) fail_usage(path + ": cannot read the config file; check the path");
  std::stringstream text;
  text << in.rdbuf();
  const bool json = std::filesystem::path(path).extension() == ".json";
  const Entries entries = json ? read_json(path, text.str()) : read_yaml(path, text.str());

  std::set<std::string> typed;
  for (size_t i = 1; i < args.size(); ++i)
    if (args[i].rfind("--", 0) == 0) typed.insert(flag_name(args[i]));
  std::vector<std::string> from_file;
  for (const auto& [raw_key, values] : entries) {
    const std::string flag = "--" + (raw_key.rfind("--", 0) == 0 ? raw_key.substr(2) : raw_key);
    if (typed.count(flag)) continue;
    origins()[flag] = path;
    if (values.size() == 1) {
      from_file.push_back(flag + "=" + values[0]);
    } else if (!values.empty()) {
      from_file.push_back(flag);
      from_file.insert(from_file.end(), values.begin(), values.end());
    }
  }
  args.insert(args.begin() + 1, from_file.begin(), from_file.end());
  return args;
}

}  // namespace ft::cli
