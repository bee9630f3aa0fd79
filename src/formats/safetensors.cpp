// WeightStore: memory-maps one safetensors file or the shards of a model directory and converts
// tensors to the compute dtype on request. Views stay valid as long as the store lives (mappings
// are shared, so moving the store keeps them).
#include "formats/safetensors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/half.h"
#include "formats/mapped_file.h"

namespace ft {

namespace fs = std::filesystem;

struct WeightStore::Mapping {
  explicit Mapping(const std::string& path) : file(path) {}
  MappedFile file;
};

namespace {

constexpr const char* kSingleFile = "model.safetensors";
constexpr const char* kIndexFile = "model.safetensors.index.json";

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// weight_map of an index file: tensor name -> shard file name (relative to the directory).
std::map<std::string, std::string> read_weight_map(const std::string& index_path) {
  std::ifstream in(index_path, std::ios::binary);
  if (!in) fail_input(index_path, "cannot open");
  std::stringstream text;
  text << in.rdbuf();
  const auto root = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object()) fail_input(index_path, "not a valid JSON object");
  if (!root.contains("weight_map") || !root["weight_map"].is_object())
    fail_input(index_path, "has no \"weight_map\" object (tensor name -> shard file)");
  std::map<std::string, std::string> map;
  for (const auto& [name, shard] : root["weight_map"].items()) {
    if (!shard.is_string())
      fail_input(index_path, "weight_map entry for tensor '" + name + "' is not a file name string");
    const fs::path p(shard.get<std::string>());
    // Shards live inside the model directory; anything else is a malformed (or hostile) index.
    if (p.empty() || p.is_absolute() || std::find(p.begin(), p.end(), "..") != p.end())
      fail_input(index_path, "weight_map entry for tensor '" + name + "' names '" + p.string() +
                                 "', which is not a file inside the model directory");
    map.emplace(name, p.string());
  }
  return map;
}

}  // namespace

WeightStore WeightStore::open_file(const std::string& path) {
  WeightStore store;
  store.source_ = path;
  auto mapping = std::make_shared<Mapping>(path);
  for (TensorView& t : parse_safetensors(mapping->file.bytes(), path)) {
    const std::string name = t.name;
    store.tensors_.emplace(name, std::move(t));
  }
  store.mappings_.push_back(std::move(mapping));
  return store;
}

WeightStore WeightStore::open_dir(const std::string& dir) {
  if (!fs::is_directory(dir)) fail_input(dir, "model directory not found");
  const fs::path index_path = fs::path(dir) / kIndexFile;
  if (!fs::exists(index_path)) {
    if (!fs::exists(fs::path(dir) / kSingleFile))
      fail_input(dir, std::string("has neither ") + kSingleFile + " nor " + kIndexFile +
                          "; is it a Hugging Face model directory with safetensors weights?");
    WeightStore store = open_file((fs::path(dir) / kSingleFile).string());
    store.source_ = dir;
    return store;
  }

  const auto weight_map = read_weight_map(index_path.string());
  std::map<std::string, std::string> first_tensor_of_shard;
  for (const auto& [name, shard] : weight_map) first_tensor_of_shard.emplace(shard, name);

  WeightStore store;
  store.source_ = dir;
  for (const auto& [shard, example] : first_tensor_of_shard) {
    const fs::path shard_path = fs::path(dir) / shard;
    if (!fs::exists(shard_path))
      fail_input(index_path.string(), "shard '" + shard + "' (holding tensor '" + example +
                                          "') is missing from " + dir + "; re-download the model");
    auto mapping = std::make_shared<Mapping>(shard_path.string());
    for (TensorView& t : parse_safetensors(mapping->file.bytes(), shard_path.string())) {
      const std::string name = t.name;
      const auto [it, inserted] = store.tensors_.emplace(name, std::move(t));
      if (!inserted)
        fail_input(shard_path.string(), "tensor '" + name + "' is also stored in " + it->second.file +
                                            "; the shards overlap");
    }
    store.mappings_.push_back(std::move(mapping));
  }
  for (const auto& [name, shard] : weight_map) {
    const auto it = store.tensors_.find(name);
    if (it == store.tensors_.end() || it->second.file != (fs::path(dir) / shard).string())
      fail_input(index_path.string(),
                 "lists tensor '" + name + "' in shard '" + shard + "', which does not contain it");
  }
  return store;
}

bool WeightStore::contains(const std::string& name) const { return tensors_.count(name) != 0; }

const TensorView& WeightStore::require(const std::string& name, const std::vector<int64_t>& shape) const {
  const auto it = tensors_.find(name);
  if (it == tensors_.end())
    fail_input(source_, "tensor '" + name + "' not found (" + std::to_string(tensors_.size()) +
                            " tensors present); does config.json match these weights?");
  const TensorView& t = it->second;
  if (!shape.empty() && t.shape != shape)
    fail_input(t.file, "tensor '" + name + "' has shape " + shape_string(t.shape) + ", expected " +
                           shape_string(shape) + " from config.json");
  return t;
}

std::vector<std::string> WeightStore::names() const {
  std::vector<std::string> out;
  out.reserve(tensors_.size());
  for (const auto& [name, t] : tensors_) out.push_back(name);
  return out;
}

// Stored bytes carry no alignment guarantee (a foreign writer may not pad the header), so
// elements are read with memcpy, which compiles to plain loads.
namespace {
template <class T>
T load(const std::byte* p, size_t i) {
  T v;
  std::memcpy(&v, p + i * sizeof(T), sizeof(T));
  return v;
}
}  // namespace

void WeightStore::release(const TensorView& t) const {
  for (const auto& m : mappings_) m->file.release(t.bytes);
}

void WeightStore::copy_to_f32(const TensorView& t, float* out) {
  const size_t n = static_cast<size_t>(t.numel());
  const std::byte* p = t.bytes.data();
  switch (t.dtype) {
    case DType::F32:
      if (n) std::memcpy(out, p, n * sizeof(float));
      return;
    case DType::BF16:
      for (size_t i = 0; i < n; ++i) out[i] = bf16_to_f32(bf16{load<uint16_t>(p, i)});
      return;
    case DType::F16:
      for (size_t i = 0; i < n; ++i) out[i] = f16_to_f32(load<uint16_t>(p, i));
      return;
  }
}

void WeightStore::copy_to_bf16(const TensorView& t, uint16_t* out) {
  const size_t n = static_cast<size_t>(t.numel());
  const std::byte* p = t.bytes.data();
  switch (t.dtype) {
    case DType::F32:
      for (size_t i = 0; i < n; ++i) out[i] = f32_to_bf16(load<float>(p, i)).bits;
      return;
    case DType::BF16:
      if (n) std::memcpy(out, p, n * sizeof(uint16_t));
      return;
    case DType::F16:
      for (size_t i = 0; i < n; ++i) out[i] = f32_to_bf16(f16_to_f32(load<uint16_t>(p, i))).bits;
      return;
  }
}

}  // namespace ft
