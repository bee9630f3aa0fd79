// Every data-pipeline option in one struct, filled from the flags of `finetune train` and
// `finetune data preview` (src/cli/data_flags.h registers them under the reference flag names).
#pragma once
#include <cstdint>
#include <string>

#include "data/packing.h"
#include "data/schema.h"
#include "text/prompt_format.h"

namespace ft::data {

struct DataOptions {
  std::string train_file;
  std::string validation_file;  // when set, used instead of a split of train_file
  ColumnNames columns;
  std::string prompt_format;  // "" = chosen from the record shape and the model name
  SystemPrompts system_prompts;
  std::string system_prompt;  // chat-template only: an optional system message
  int max_seq_length = 512;
  bool train_on_inputs = false;
  PackingMode packing = PackingMode::kDocument;
  double validation_split_percentage = 0;  // 0.2 and 20 both mean 20%
  uint64_t dataset_seed = 42;
  int64_t max_train_samples = -1;  // -1 = all
  int64_t max_eval_samples = -1;
  bool group_by_length = false;
  std::string cache_dir;  // "" = no on-disk cache; see default_cache_dir()
};

// $FINETUNE_CACHE when set, else <output_dir>/.cache, else "" (no cache).
std::string default_cache_dir(const std::string& output_dir);

}  // namespace ft::data
