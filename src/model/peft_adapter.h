// PEFT LoRA adapter directories: adapter_config.json as PEFT 0.14 writes it for a LoraConfig
// (peft_type LORA, task_type CAUSAL_LM) plus adapter_model.safetensors with PEFT's keys
// (base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight), so
// PeftModel.from_pretrained loads what we save and we load what PEFT saves.
#pragma once
#include <memory>
#include <string>

#include "model/config.h"
#include "model/lora.h"

namespace ft {

inline constexpr const char* kAdapterConfigFile = "adapter_config.json";
inline constexpr const char* kAdapterWeightsFile = "adapter_model.safetensors";

// Writes both files (fp32 tensors) into `dir`, creating it; each file is written atomically
// (temp + rename). I/O failure is an ft::Error naming the file.
void save_peft_adapter(const std::string& dir, const LoraWeights& lora,
                       const std::string& base_model_name_or_path);

// Reads an adapter directory for a model of `config`: peft_type must be LORA, r/lora_alpha/
// target_modules valid for the model, every expected tensor present with the right shape
// (F32/BF16/F16), no unknown tensors. Keys may carry PEFT's adapter name ("lora_A.default.weight").
// Any problem is a one-line ft::Error (exit 2) naming the file and the field or key.
std::unique_ptr<LoraWeights> load_peft_adapter(const std::string& dir, const ModelConfig& config);

}  // namespace ft
