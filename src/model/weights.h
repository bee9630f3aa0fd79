// The weights of a Llama-family decoder, carved from ONE allocation. Matrices and embeddings are
// in `dtype` (F32, or BF16 with --bf16); norm weights and biases stay fp32. Matrices keep the
// Hugging Face layout [out, in]. Loading names tensors by their HF names and checks shapes; a
// missing tensor or wrong shape is the WeightStore's one-line ft::Error (exit 2).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/buffer.h"
#include "core/dtype.h"
#include "model/config.h"

namespace ft {

class WeightStore;

struct LayerWeights {
  void *q = nullptr, *k = nullptr, *v = nullptr, *o = nullptr;  // self_attn.{q,k,v,o}_proj
  void *gate = nullptr, *up = nullptr, *down = nullptr;         // mlp.{gate,up,down}_proj
  float *q_bias = nullptr, *k_bias = nullptr, *v_bias = nullptr, *o_bias = nullptr;
  float *gate_bias = nullptr, *up_bias = nullptr, *down_bias = nullptr;
  float* input_norm = nullptr;           // input_layernorm [C]
  float* post_attention_norm = nullptr;  // post_attention_layernorm [C]
};

struct ModelWeights {
  DType dtype = DType::F32;
  void* embed = nullptr;    // model.embed_tokens [V,C]
  void* lm_head = nullptr;  // lm_head [V,C]; the embedding itself when tied
  float* norm = nullptr;    // model.norm [C]
  std::vector<LayerWeights> layers;
  Buffer<std::byte> storage;
};

// One tensor of the model as Hugging Face names it.
struct WeightSpec {
  std::string name;
  std::vector<int64_t> shape;
  bool is_vector;  // 1-D (norm or bias): kept in fp32
};

// Every tensor the config implies, in a fixed order (lm_head omitted when tied).
std::vector<WeightSpec> weight_specs(const ModelConfig& config);

// Bytes of the one allocation allocate_weights makes.
size_t weight_storage_bytes(const ModelConfig& config, DType dtype);
// Allocates the weights with every pointer set and contents uninitialised.
ModelWeights allocate_weights(const ModelConfig& config, DType dtype);
// The pointer for the tensor named `spec.name` inside `w` (used by loading, saving, tests).
const void* weight_pointer(const ModelWeights& w, const ModelConfig& config, const WeightSpec& spec);
inline void* weight_pointer(ModelWeights& w, const ModelConfig& config, const WeightSpec& spec) {
  return const_cast<void*>(weight_pointer(std::as_const(w), config, spec));
}

ModelWeights load_weights(const WeightStore& store, const ModelConfig& config, DType dtype);

}  // namespace ft
