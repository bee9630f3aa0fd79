// A Hugging Face `config.json` for the Llama family (LlamaForCausalLM, MistralForCausalLM,
// Qwen2ForCausalLM), validated: an unsupported architecture or a missing/ill-typed field is an
// ft::Error (kExitBadInput) naming the file and the field.
#pragma once
#include <string>
#include <vector>

namespace ft {

struct RopeScaling {
  std::string type;  // "" (none), "linear", "llama3"
  double factor = 1.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  int original_max_position_embeddings = 0;
};

struct ModelConfig {
  std::string architecture;  // e.g. "LlamaForCausalLM"
  std::string model_type;    // "llama", "mistral", "qwen2"
  int hidden_size = 0;
  int intermediate_size = 0;
  int num_hidden_layers = 0;
  int num_attention_heads = 0;
  int num_key_value_heads = 0;
  int head_dim = 0;  // defaults to hidden_size / num_attention_heads
  int vocab_size = 0;
  int max_position_embeddings = 0;
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  bool tie_word_embeddings = false;
  bool attention_bias = false;  // q/k/v biases (Qwen2 always has them)
  bool mlp_bias = false;
  int sliding_window = 0;  // 0 = none
  std::string torch_dtype;  // as stored
  int bos_token_id = -1;
  std::vector<int> eos_token_ids;

  // Inverse frequencies for RoPE, head_dim/2 entries, with rope_scaling applied.
  std::vector<float> rope_inv_freq() const;
  long long parameter_count() const;
};

ModelConfig load_model_config(const std::string& path);
ModelConfig parse_model_config(const std::string& json_text, const std::string& path);

}  // namespace ft
