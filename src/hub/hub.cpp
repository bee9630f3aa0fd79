#include "hub/hub.h"

#include <filesystem>

#include "core/error.h"

namespace ft::hub {
namespace fs = std::filesystem;

std::string resolve_model(const std::string& name_or_path, const HubOptions& /*options*/) {
  if (fs::is_directory(name_or_path)) return name_or_path;
  fail_input(name_or_path, "not a directory; give a local Hugging Face model directory");
}

std::string resolve_dataset_file(const std::string& dataset_name, const std::string& /*split*/,
                                 const HubOptions& /*options*/) {
  if (fs::is_regular_file(dataset_name)) return dataset_name;
  fail_input(dataset_name, "not a data file; give --train_file with a local JSON/JSONL/CSV file");
}

}  // namespace ft::hub
