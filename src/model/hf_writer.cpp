// Shards are cut as huggingface_hub's split_state_dict_into_shards does for save_pretrained:
// tensors in order, a new shard whenever the next tensor would push the current one past the
// limit (a tensor larger than the limit gets a shard of its own). Conversion to the output dtype
// happens one shard at a time, so saving needs at most one shard of extra memory.
#include "model/hf_writer.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "core/error.h"
#include "core/half.h"
#include "formats/atomic_file.h"
#include "formats/safetensors.h"

namespace ft {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSingleFile = "model.safetensors";
constexpr const char* kIndexFile = "model.safetensors.index.json";
// Files next to the weights that from_pretrained and AutoTokenizer read.
constexpr const char* kCopiedFiles[] = {
    "generation_config.json", "tokenizer.json",  "tokenizer_config.json", "tokenizer.model",
    "special_tokens_map.json", "added_tokens.json", "vocab.json", "merges.txt", "chat_template.json"};

int64_t numel(const WeightSpec& s) {
  int64_t n = 1;
  for (int64_t d : s.shape) n *= d;
  return n;
}

std::vector<std::vector<WeightSpec>> split_into_shards(const std::vector<WeightSpec>& specs,
                                                       int64_t bytes_per_element, int64_t max_bytes) {
  std::vector<std::vector<WeightSpec>> shards(1);
  int64_t current = 0;
  for (const WeightSpec& s : specs) {
    const int64_t bytes = numel(s) * bytes_per_element;
    if (!shards.back().empty() && current + bytes > max_bytes) {
      shards.emplace_back();
      current = 0;
    }
    shards.back().push_back(s);
    current += bytes;
  }
  return shards;
}

std::string shard_name(size_t k, size_t n) {
  char name[64];
  std::snprintf(name, sizeof name, "model-%05zu-of-%05zu.safetensors", k + 1, n);
  return name;
}

// The stored tensor's bytes in `out_dtype`, converted into `scratch` when the model keeps it in
// another dtype (norms and biases are fp32 in memory).
std::span<const std::byte> tensor_bytes(const void* p, DType stored, DType out_dtype, int64_t n,
                                        std::vector<std::byte>& scratch) {
  if (stored == out_dtype)
    return {static_cast<const std::byte*>(p), static_cast<size_t>(n) * dtype_size(stored)};
  scratch.resize(static_cast<size_t>(n) * dtype_size(out_dtype));
  if (out_dtype == DType::BF16) {
    const auto* f = static_cast<const float*>(p);
    auto* b = reinterpret_cast<bf16*>(scratch.data());
    for (int64_t i = 0; i < n; ++i) b[i] = f32_to_bf16(f[i]);
  } else {
    const auto* b = static_cast<const bf16*>(p);
    auto* f = reinterpret_cast<float*>(scratch.data());
    for (int64_t i = 0; i < n; ++i) f[i] = bf16_to_f32(b[i]);
  }
  return {scratch.data(), scratch.size()};
}

// The base model's config.json with the saved dtype.
std::string saved_config(const std::string& base_dir, DType dtype) {
  const std::string path = (fs::path(base_dir) / "config.json").string();
  std::ifstream in(path, std::ios::binary);
  if (!in) fail_input(path, "cannot open the base model's config.json");
  std::stringstream text;
  text << in.rdbuf();
  auto config = nlohmann::ordered_json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (config.is_discarded() || !config.is_object()) fail_input(path, "not a valid JSON object");
  config["torch_dtype"] = dtype == DType::BF16 ? "bfloat16" : "float32";
  return config.dump(2) + "\n";
}

// Weight files of an earlier save that the new layout does not use (a stale index would shadow a
// new single file when the directory is loaded).
void remove_stale_weights(const std::string& dir, const std::set<std::string>& written) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    const bool weights = name == kSingleFile || name == kIndexFile ||
                         (name.starts_with("model-") && name.ends_with(".safetensors"));
    if (weights && !written.contains(name)) fs::remove(entry.path());
  }
}

}  // namespace

void save_hf_weights(const std::string& dir, const ModelConfig& config, const ModelWeights& weights,
                     const std::string& base_dir, DType dtype, int64_t max_shard_bytes) {
  if (dtype != DType::F32 && dtype != DType::BF16)
    throw std::invalid_argument("save_hf_weights: dtype must be F32 or BF16");
  if (max_shard_bytes <= 0) throw std::invalid_argument("save_hf_weights: max_shard_bytes must be > 0");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(kExitUsage, dir + ": cannot create the output directory (" + ec.message() + ")");
  // config.json goes first and comes back last: a save that fails midway (a full disk) leaves a
  // directory no loader takes, not earlier shards and index mixed with new ones.
  const std::string config_text = saved_config(base_dir, dtype);
  fs::remove(fs::path(dir) / "config.json", ec);

  const auto shards = split_into_shards(weight_specs(config), static_cast<int64_t>(dtype_size(dtype)),
                                        max_shard_bytes);
  nlohmann::json weight_map = nlohmann::json::object();
  std::set<std::string> written;
  int64_t total_bytes = 0;
  for (size_t k = 0; k < shards.size(); ++k) {
    const std::string file = shards.size() == 1 ? kSingleFile : shard_name(k, shards.size());
    std::vector<std::vector<std::byte>> scratch(shards[k].size());
    std::vector<TensorToWrite> tensors;
    for (size_t i = 0; i < shards[k].size(); ++i) {
      const WeightSpec& s = shards[k][i];
      const DType stored = s.is_vector ? DType::F32 : weights.dtype;
      tensors.push_back({s.name, dtype, s.shape,
                         tensor_bytes(weight_pointer(weights, config, s), stored, dtype, numel(s), scratch[i])});
      weight_map[s.name] = file;
      total_bytes += numel(s) * static_cast<int64_t>(dtype_size(dtype));
    }
    write_safetensors((fs::path(dir) / file).string(), tensors, {{"format", "pt"}});
    written.insert(file);
  }
  if (shards.size() > 1) {
    const nlohmann::json index = {{"metadata", {{"total_size", total_bytes}}}, {"weight_map", weight_map}};
    write_file_atomic((fs::path(dir) / kIndexFile).string(), index.dump(2) + "\n");
    written.insert(kIndexFile);
  }
  remove_stale_weights(dir, written);
  if (!fs::equivalent(fs::path(base_dir), fs::path(dir), ec)) {
    for (const char* name : kCopiedFiles) {
      const fs::path from = fs::path(base_dir) / name;
      if (fs::exists(from)) copy_file_atomic(from.string(), (fs::path(dir) / name).string());
    }
  }
  write_file_atomic((fs::path(dir) / "config.json").string(), config_text);
}

}  // namespace ft
