#include "hub/hub_env.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>

namespace ft::hub {
namespace fs = std::filesystem;
namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::string(value) : fallback;
}

std::string trim(std::string s) {
  const auto space = [](unsigned char c) { return std::isspace(c) != 0; };
  s.erase(s.begin(), std::find_if_not(s.begin(), s.end(), space));
  s.erase(std::find_if_not(s.rbegin(), s.rend(), space).base(), s.end());
  return s;
}

bool truthy(std::string value) {
  for (char& c : value) c = char(std::tolower(static_cast<unsigned char>(c)));
  return value == "1" || value == "true" || value == "yes" || value == "on";
}

fs::path home_dir() { return env_or("HOME", "/root"); }

// "~/x" as the shell would expand it, as huggingface_hub does for its path variables.
fs::path path_from_env(const char* name, const fs::path& fallback) {
  const std::string value = env_or(name, fallback.string());
  if (value == "~" || value.rfind("~/", 0) == 0) return home_dir() / value.substr(std::min<size_t>(2, value.size()));
  return value;
}

fs::path hf_home() { return path_from_env("HF_HOME", home_dir() / ".cache" / "huggingface"); }

// The first of HF_TOKEN, $HF_HOME/token, ~/.cache/huggingface/token that holds one.
std::string find_token() {
  const std::string from_env = trim(env_or("HF_TOKEN", ""));
  if (!from_env.empty()) return from_env;
  for (const fs::path& file : {hf_home() / "token", home_dir() / ".cache" / "huggingface" / "token"}) {
    std::ifstream in(file);
    std::string line;
    if (in && std::getline(in, line) && !trim(line).empty()) return trim(line);
  }
  return {};
}

}  // namespace

HubEnv HubEnv::from_environment() {
  HubEnv env;
  env.endpoint = env_or("HF_ENDPOINT", "https://huggingface.co");
  while (!env.endpoint.empty() && env.endpoint.back() == '/') env.endpoint.pop_back();
  env.cache_dir = path_from_env("HF_HUB_CACHE", hf_home() / "hub");
  env.offline = truthy(env_or("HF_HUB_OFFLINE", "0"));
  env.token = find_token();
  return env;
}

}  // namespace ft::hub
