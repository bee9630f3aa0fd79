#include "hub/file_selection.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.h"

namespace ft::hub {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool contains(const std::vector<std::string>& files, const std::string& name) {
  return std::find(files.begin(), files.end(), name) != files.end();
}

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

// `split` appears in `path` as a whole word ("train" in "data/train-00000.json", not in "restrain").
bool names_split(const std::string& path, const std::string& split) {
  const std::string p = lower(path), s = lower(split);
  const auto is_word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  for (size_t at = p.find(s); at != std::string::npos; at = p.find(s, at + 1)) {
    const bool starts = at == 0 || !is_word(p[at - 1]);
    const bool ends = at + s.size() == p.size() || !is_word(p[at + s.size()]);
    if (starts && ends) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> model_files_to_fetch(const std::string& repo, const std::vector<std::string>& files) {
  if (!contains(files, "config.json"))
    fail_input(repo, "has no config.json; is it a Hugging Face transformers model repository?");
  std::vector<std::string> wanted = {"config.json"};
  for (const char* name : {"generation_config.json", "tokenizer.json", "tokenizer.model", "tokenizer_config.json",
                           "special_tokens_map.json"})
    if (contains(files, name)) wanted.push_back(name);
  if (contains(files, kSafetensorsIndex)) {
    wanted.push_back(kSafetensorsIndex);
    return wanted;
  }
  if (contains(files, "model.safetensors")) {
    wanted.push_back("model.safetensors");
    return wanted;
  }
  bool any_weights = false;
  for (const auto& f : files)
    if (ends_with(f, ".safetensors") && f.find('/') == std::string::npos && f.rfind("consolidated", 0) != 0) {
      wanted.push_back(f);
      any_weights = true;
    }
  if (!any_weights)
    fail_input(repo, "has no safetensors weights (finetune.cpp reads only *.safetensors); convert the "
                     "checkpoint with transformers' save_pretrained(safe_serialization=True)");
  return wanted;
}

std::vector<std::string> shards_in_index(const std::filesystem::path& index_file) {
  std::ifstream in(index_file);
  const nlohmann::json index = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object())
    fail_input(index_file.string(), "no weight_map object; the sharded checkpoint index is damaged");
  std::set<std::string> shards;
  for (const auto& [tensor, shard] : index["weight_map"].items()) {
    if (!shard.is_string()) fail_input(index_file.string(), "weight_map[\"" + tensor + "\"] is not a file name");
    const std::string name = shard.get<std::string>();
    if (name.find("..") != std::string::npos || name.empty() || name.front() == '/')
      fail_input(index_file.string(), "weight_map names a file outside the repository: " + name);
    shards.insert(name);
  }
  return {shards.begin(), shards.end()};
}

std::vector<std::string> files_under(const std::filesystem::path& dir) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir))
    if (std::filesystem::is_regular_file(entry.path()))
      files.push_back(entry.path().lexically_relative(dir).generic_string());  // not relative(): no symlink resolution
  std::sort(files.begin(), files.end());
  return files;
}

std::string choose_data_file(const std::string& repo, const std::vector<std::string>& files,
                             const std::string& split) {
  std::vector<std::string> candidates;
  for (const auto& f : files) {
    const std::string name = lower(f);
    const bool data = ends_with(name, ".json") || ends_with(name, ".jsonl") || ends_with(name, ".csv");
    const std::string base = name.substr(name.rfind('/') == std::string::npos ? 0 : name.rfind('/') + 1);
    const bool metadata = base.front() == '.' || base == "dataset_info.json" || base == "dataset_infos.json";
    if (data && !metadata) candidates.push_back(f);
  }
  if (candidates.size() == 1) return candidates.front();
  if (candidates.empty())
    fail_input(repo, "has no JSON, JSONL or CSV data file (files: " + joined(files) +
                         "); give a local --train_file instead");
  std::vector<std::string> matching;
  for (const auto& f : candidates)
    if (!split.empty() && names_split(f, split)) matching.push_back(f);
  if (matching.size() == 1) return matching.front();
  fail_usage(repo + ": " + std::to_string(candidates.size()) + " data files (" + joined(candidates) + ") and " +
             (split.empty() ? std::string("no --dataset_split")
                            : "--dataset_split '" + split + "' matches " + std::to_string(matching.size())) +
             "; give --dataset_split naming exactly one of them");
}

}  // namespace ft::hub
