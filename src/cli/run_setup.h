// What `finetune train` and `finetune eval` open before they compute: the communicator from the
// launch contract, the model directory (local or from the Hub), its tokenizer, and the prepared
// dataset (Hub dataset file when --train_file is absent). Rank 0 prepares the data first so the
// other ranks read its token cache instead of tokenizing again.
#pragma once
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/train_flags.h"
#include "data/dataset.h"
#include "dist/communicator.h"
#include "text/tokenizer.h"

namespace ft::cli {

struct RunSetup {
  std::unique_ptr<dist::Communicator> comm;
  std::string model_dir;
  std::unique_ptr<Tokenizer> tokenizer;
  std::unique_ptr<data::PreparedDataset> dataset;
  int32_t pad_id = 0;
  std::vector<std::string> notes;  // the data pipeline's notes, for rank 0 to print
};

RunSetup open_run(const ModelFlags& model, data::DataOptions data, const dist::LaunchInfo& launch,
                  double timeout_seconds);

// Record and token counts of both splits, for run_config.json.
nlohmann::json dataset_summary(const data::PreparedDataset& data);

}  // namespace ft::cli
