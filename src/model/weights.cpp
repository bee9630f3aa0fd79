#include "model/weights.h"

#include <stdexcept>

#include "formats/safetensors.h"

namespace ft {
namespace {

constexpr const char* kLayerMatrices[] = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                                          "self_attn.o_proj", "mlp.gate_proj",    "mlp.up_proj",
                                          "mlp.down_proj"};

struct LayerDims {
  int64_t out, in;
};

LayerDims matrix_dims(const ModelConfig& c, int index) {
  const int64_t C = c.hidden_size, I = c.intermediate_size;
  const int64_t q = static_cast<int64_t>(c.num_attention_heads) * c.head_dim;
  const int64_t kv = static_cast<int64_t>(c.num_key_value_heads) * c.head_dim;
  const LayerDims dims[] = {{q, C}, {kv, C}, {kv, C}, {C, q}, {I, C}, {I, C}, {C, I}};
  return dims[index];
}

bool has_qkv_bias(const ModelConfig& c) { return c.attention_bias || c.model_type == "qwen2"; }
// Llama/Mistral's attention_bias also adds an o_proj bias; Qwen2 has q/k/v biases only.
bool has_o_bias(const ModelConfig& c) { return c.attention_bias && c.model_type != "qwen2"; }

size_t aligned_bytes(size_t n) { return (n + 63) / 64 * 64; }

size_t spec_bytes(const WeightSpec& s, DType dtype) {
  size_t n = 1;
  for (int64_t d : s.shape) n *= static_cast<size_t>(d);
  return n * (s.is_vector ? sizeof(float) : dtype_size(dtype));
}

}  // namespace

std::vector<WeightSpec> weight_specs(const ModelConfig& c) {
  const int64_t C = c.hidden_size, V = c.vocab_size;
  std::vector<WeightSpec> specs{{"model.embed_tokens.weight", {V, C}, false}};
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    for (int m = 0; m < 7; ++m) {
      const LayerDims d = matrix_dims(c, m);
      specs.push_back({p + kLayerMatrices[m] + ".weight", {d.out, d.in}, false});
      const bool bias = m < 3 ? has_qkv_bias(c) : m == 3 ? has_o_bias(c) : c.mlp_bias;
      if (bias) specs.push_back({p + kLayerMatrices[m] + ".bias", {d.out}, true});
    }
    specs.push_back({p + "input_layernorm.weight", {C}, true});
    specs.push_back({p + "post_attention_layernorm.weight", {C}, true});
  }
  specs.push_back({"model.norm.weight", {C}, true});
  if (!c.tie_word_embeddings) specs.push_back({"lm_head.weight", {V, C}, false});
  return specs;
}

size_t weight_storage_bytes(const ModelConfig& config, DType dtype) {
  size_t total = 0;
  for (const auto& s : weight_specs(config)) total += aligned_bytes(spec_bytes(s, dtype));
  return total;
}

ModelWeights allocate_weights(const ModelConfig& config, DType dtype) {
  if (dtype != DType::F32 && dtype != DType::BF16)
    throw std::invalid_argument("allocate_weights: dtype must be F32 or BF16");
  const auto specs = weight_specs(config);
  ModelWeights w;
  w.dtype = dtype;
  w.storage = Buffer<std::byte>(weight_storage_bytes(config, dtype));
  w.layers.resize(static_cast<size_t>(config.num_hidden_layers));
  size_t offset = 0;
  for (const auto& s : specs) {
    void* p = w.storage.data() + offset;
    offset += aligned_bytes(spec_bytes(s, dtype));
    const std::string& n = s.name;
    if (n == "model.embed_tokens.weight") {
      w.embed = p;
    } else if (n == "model.norm.weight") {
      w.norm = static_cast<float*>(p);
    } else if (n == "lm_head.weight") {
      w.lm_head = p;
    } else {
      const size_t dot = n.find('.', 13);  // after "model.layers."
      LayerWeights& L = w.layers[std::stoul(n.substr(13, dot - 13))];
      const std::string field = n.substr(dot + 1);
      auto* f = static_cast<float*>(p);
      if (field == "self_attn.q_proj.weight") L.q = p;
      else if (field == "self_attn.k_proj.weight") L.k = p;
      else if (field == "self_attn.v_proj.weight") L.v = p;
      else if (field == "self_attn.o_proj.weight") L.o = p;
      else if (field == "mlp.gate_proj.weight") L.gate = p;
      else if (field == "mlp.up_proj.weight") L.up = p;
      else if (field == "mlp.down_proj.weight") L.down = p;
      else if (field == "self_attn.q_proj.bias") L.q_bias = f;
      else if (field == "self_attn.k_proj.bias") L.k_bias = f;
      else if (field == "self_attn.v_proj.bias") L.v_bias = f;
      else if (field == "self_attn.o_proj.bias") L.o_bias = f;
      else if (field == "mlp.gate_proj.bias") L.gate_bias = f;
      else if (field == "mlp.up_proj.bias") L.up_bias = f;
      else if (field == "mlp.down_proj.bias") L.down_bias = f;
      else if (field == "input_layernorm.weight") L.input_norm = f;
      else if (field == "post_attention_layernorm.weight") L.post_attention_norm = f;
    }
  }
  if (config.tie_word_embeddings) w.lm_head = w.embed;
  return w;
}

const void* weight_pointer(const ModelWeights& w, const ModelConfig& config, const WeightSpec& spec) {
  // Recomputes the carve: the layout is a pure function of (config, dtype).
  size_t offset = 0;
  for (const auto& s : weight_specs(config)) {
    if (s.name == spec.name) return w.storage.data() + offset;
    offset += aligned_bytes(spec_bytes(s, w.dtype));
  }
  throw std::invalid_argument("weight_pointer: no tensor " + spec.name);
}

ModelWeights load_weights(const WeightStore& store, const ModelConfig& config, DType dtype) {
  // Every tensor is checked against config.json before the model's memory is taken: a config
  // whose sizes the file does not hold is an error naming a tensor, not a giant allocation.
  const std::vector<WeightSpec> specs = weight_specs(config);
  for (const auto& s : specs) store.require(s.name, s.shape);
  ModelWeights w = allocate_weights(config, dtype);
  size_t offset = 0;
  for (const auto& s : specs) {
    const TensorView& t = store.require(s.name, s.shape);
    std::byte* p = w.storage.data() + offset;
    offset += aligned_bytes(spec_bytes(s, dtype));
    if (s.is_vector || dtype == DType::F32) WeightStore::copy_to_f32(t, reinterpret_cast<float*>(p));
    else WeightStore::copy_to_bf16(t, reinterpret_cast<uint16_t*>(p));
    store.release(t);
  }
  return w;
}

}  // namespace ft
