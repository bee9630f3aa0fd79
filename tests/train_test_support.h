// A tiny trainable model directory made on the fly (no ../shared needed): the synthetic Llama of
// model_test_support.h with the vocabulary of the committed trained_metaspace tokenizer (900,
// <s>=1, </s>=2), random weights in model.safetensors, and that tokenizer.json.
#pragma once
#include <filesystem>
#include <string>

#include "formats/safetensors.h"
#include "model_test_support.h"
#include "test_support.h"

namespace ft::test {

inline std::string tiny_config_json() {
  std::string c = kConfig;
  c.replace(c.find("\"vocab_size\": 97"), 16, "\"vocab_size\": 900");
  c.replace(c.find("\"max_position_embeddings\": 64"), 29, "\"max_position_embeddings\": 512");
  return c;
}

// Writes the model into `dir` (created) and returns it.
inline std::filesystem::path make_tiny_model_dir(const std::filesystem::path& dir, uint32_t seed = 11) {
  std::filesystem::create_directories(dir);
  write_file(dir / "config.json", tiny_config_json());
  const ModelConfig c = parse_model_config(tiny_config_json(), "tiny/config.json");
  const auto specs = weight_specs(c);
  const auto values = random_tensors(c, seed);
  std::vector<TensorToWrite> tensors;
  for (size_t i = 0; i < specs.size(); ++i)
    tensors.push_back({specs[i].name, DType::F32, specs[i].shape, std::as_bytes(std::span(values[i]))});
  write_safetensors((dir / "model.safetensors").string(), tensors);
  std::filesystem::copy_file(fixtures_dir() / "tokenizers" / "trained_metaspace.tokenizer.json",
                             dir / "tokenizer.json", std::filesystem::copy_options::overwrite_existing);
  return dir;
}

}  // namespace ft::test
