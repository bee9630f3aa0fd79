// Saves a Model as a Hugging Face model directory that transformers' from_pretrained (and
// Model::load) read: config.json (the base's, with torch_dtype updated), the weights under their HF
// names as model.safetensors, or model-0000k-of-0000n.safetensors + model.safetensors.index.json
// when the total exceeds max_shard_bytes (transformers' save_pretrained rule, default 5 GB), and
// the tokenizer / generation files copied from base_dir. Every file is written atomically.
#pragma once
#include <cstdint>
#include <string>

#include "core/dtype.h"
#include "model/model.h"

namespace ft {

// `dtype` is F32 or BF16 (norms and biases are stored in it too, as transformers does).
void save_hf_weights(const std::string& dir, const ModelConfig& config, const ModelWeights& weights,
                     const std::string& base_dir, DType dtype, int64_t max_shard_bytes = 5'000'000'000);
inline void save_hf_model(const std::string& dir, const Model& model, const std::string& base_dir,
                          DType dtype, int64_t max_shard_bytes = 5'000'000'000) {
  save_hf_weights(dir, model.config(), model.weights(), base_dir, dtype, max_shard_bytes);
}

}  // namespace ft
