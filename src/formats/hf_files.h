// The side files of a Hugging Face model directory that travel with weights and adapters, so an
// output directory loads with AutoTokenizer (and a merged model with from_pretrained) on its own.
#pragma once
#include <string>
#include <vector>

namespace ft {

// tokenizer.json, tokenizer.model, tokenizer_config.json, special_tokens_map.json, ...
const std::vector<std::string>& tokenizer_file_names();
// Copies each of `names` that exists in from_dir into to_dir, atomically; returns those copied.
std::vector<std::string> copy_side_files(const std::string& from_dir, const std::string& to_dir,
                                         const std::vector<std::string>& names);

}  // namespace ft
