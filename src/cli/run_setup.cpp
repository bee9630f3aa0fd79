#include "cli/run_setup.h"

#include <chrono>

#include "core/error.h"
#include "hub/hub.h"

namespace ft::cli {

RunSetup open_run(const ModelFlags& model, data::DataOptions data, const dist::LaunchInfo& launch,
                  double timeout_seconds) {
  RunSetup s;
  // Beyond a week the milliseconds overflowed into an instant timeout (and a retry loop).
  if (!(timeout_seconds > 0 && timeout_seconds <= 604800))
    fail_usage("--dist_timeout must be a number of seconds in (0, 604800] (a week at most)");
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds * 1000));
  s.comm = dist::connect(launch, timeout);
  const bool rank0 = s.comm->rank() == 0;
  if (rank0 && launch.world_size > 1)
    s.notes.push_back("distributed: " + std::to_string(launch.world_size) + " processes (" + launch.source +
                      "), coordinator " + launch.coordinator_host + ":" + std::to_string(launch.coordinator_port));
  s.model_dir = hub::resolve_model(model.model_name_or_path, {.revision = model.model_revision, .show_progress = rank0});
  s.tokenizer = Tokenizer::load(s.model_dir);
  if (data.train_file.empty())
    data.train_file = hub::resolve_dataset_file(model.dataset_name, model.dataset_split,
                                                {.revision = model.dataset_revision, .show_progress = rank0});
  const auto prepare = [&] {
    s.dataset = std::make_unique<data::PreparedDataset>(
        data::prepare_dataset(data, {*s.tokenizer, model.model_name_or_path, s.model_dir}));
  };
  if (rank0) prepare();
  s.comm->barrier();
  if (!rank0) prepare();
  if (rank0) s.notes.insert(s.notes.end(), s.dataset->notes.begin(), s.dataset->notes.end());
  if (s.tokenizer->eos_id) s.pad_id = *s.tokenizer->eos_id;
  return s;
}

nlohmann::json dataset_summary(const data::PreparedDataset& d) {
  return {{"train_records", d.train_stats.records}, {"eval_records", d.eval_stats.records},
          {"train_sequences", d.train.size()},      {"eval_sequences", d.eval.size()},
          {"train_tokens", d.train_stats.tokens},   {"trained_tokens", d.train_stats.trained_tokens},
          {"truncated", d.train_stats.truncated + d.eval_stats.truncated},
          {"format", std::string(prompt_format_name(d.format))}, {"shape", d.shape},
          {"file_records", d.file_records}};
}

}  // namespace ft::cli
