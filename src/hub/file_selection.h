// Which files of a repository finetune.cpp needs. Models: config.json, the tokenizer files present,
// and safetensors weights only (the sharded index and the shards it names, else model.safetensors,
// else the top-level *.safetensors that are not Mistral "consolidated" duplicates). Datasets: the
// one JSON/JSONL/CSV data file, chosen by --dataset_split when the repository has several.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace ft::hub {

inline constexpr const char* kSafetensorsIndex = "model.safetensors.index.json";

// config, tokenizer files and either the index (then call shards_in_index) or the weight files.
// Throws ft::Error naming `repo` when there is no config.json or no safetensors weights.
std::vector<std::string> model_files_to_fetch(const std::string& repo, const std::vector<std::string>& files);

// The distinct shard file names of a model.safetensors.index.json's weight_map.
std::vector<std::string> shards_in_index(const std::filesystem::path& index_file);

// The files under `dir` (following symlinks, as a snapshot's point into blobs/) as sorted
// repository paths ("sub/file.json").
std::vector<std::string> files_under(const std::filesystem::path& dir);

// The data file among `files` (paths inside the repository): the only JSON/JSONL/CSV file, or the
// only one whose name matches `split`. Throws ft::Error listing the candidates otherwise.
std::string choose_data_file(const std::string& repo, const std::vector<std::string>& files,
                             const std::string& split);

}  // namespace ft::hub
