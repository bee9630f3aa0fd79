// A small synthetic Llama (2 layers, GQA 6/2 heads, vocabulary 97) with seeded random weights,
// for model and generation tests that need no files.
#pragma once
#include <random>
#include <string>
#include <vector>

#include "core/half.h"
#include "model/model.h"

namespace ft::test {

inline const char* kConfig = R"({"architectures": ["LlamaForCausalLM"], "model_type": "llama",
  "hidden_size": 48, "intermediate_size": 80, "num_hidden_layers": 2, "num_attention_heads": 6,
  "num_key_value_heads": 2, "vocab_size": 97, "max_position_embeddings": 64, "rms_norm_eps": 1e-5,
  "rope_theta": 10000.0, "tie_word_embeddings": false, "bos_token_id": 1, "eos_token_id": 2,
  "torch_dtype": "float32"})";

// Every tensor of the config filled with seeded uniform values (norm weights near 1).
inline std::vector<std::vector<float>> random_tensors(const ModelConfig& c, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::vector<float>> out;
  for (const auto& spec : weight_specs(c)) {
    size_t n = 1;
    for (auto d : spec.shape) n *= static_cast<size_t>(d);
    const bool norm = spec.name.find("norm") != std::string::npos;
    std::uniform_real_distribution<float> u(norm ? 0.8f : -0.15f, norm ? 1.2f : 0.15f);
    std::vector<float> v(n);
    for (auto& x : v) x = u(rng);
    out.push_back(std::move(v));
  }
  return out;
}

inline Model synthetic_model(DType dtype, uint32_t seed = 7) {
  ModelConfig c = parse_model_config(kConfig, "synthetic/config.json");
  ModelWeights w = allocate_weights(c, dtype);
  const auto specs = weight_specs(c);
  const auto values = random_tensors(c, seed);
  for (size_t i = 0; i < specs.size(); ++i) {
    void* p = weight_pointer(w, c, specs[i]);
    if (specs[i].is_vector || dtype == DType::F32) std::copy(values[i].begin(), values[i].end(), static_cast<float*>(p));
    else for (size_t j = 0; j < values[i].size(); ++j) static_cast<bf16*>(p)[j] = f32_to_bf16(values[i][j]);
  }
  return Model(std::move(c), std::move(w));
}

}  // namespace ft::test
