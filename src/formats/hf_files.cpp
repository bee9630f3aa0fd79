#include "formats/hf_files.h"

#include <filesystem>

#include "formats/atomic_file.h"

namespace ft {

const std::vector<std::string>& tokenizer_file_names() {
  static const std::vector<std::string> names = {
      "tokenizer.json", "tokenizer_config.json", "tokenizer.model",   "special_tokens_map.json",
      "added_tokens.json", "vocab.json",         "merges.txt",        "chat_template.json"};
  return names;
}

std::vector<std::string> copy_side_files(const std::string& from_dir, const std::string& to_dir,
                                         const std::vector<std::string>& names) {
  namespace fs = std::filesystem;
  std::vector<std::string> copied;
  for (const std::string& name : names) {
    const fs::path from = fs::path(from_dir) / name;
    if (!fs::is_regular_file(from)) continue;
    copy_file_atomic(from.string(), (fs::path(to_dir) / name).string());
    copied.push_back(name);
  }
  return copied;
}

}  // namespace ft
