// What `finetune report` reads from one output directory: metrics.jsonl (train/eval/summary
// records, steps deduplicated so that later lines win after a resumed crash), run_config.json,
// and all_results.json when the run has finished. metrics.jsonl and run_config.json are required;
// a missing or malformed file is an ft::Error naming the file (and line) in one line.
#pragma once
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ft::cli {

// One metrics.jsonl line: its step and every numeric field (non-numeric fields are dropped).
struct MetricRecord {
  int64_t step = 0;
  std::map<std::string, double> values;
  // NaN when the field is absent.
  double get(const std::string& field) const;
};

struct RunData {
  std::string dir;
  std::string label;                // short name for legends: the directory's name
  std::vector<MetricRecord> train;  // sorted by step, one record per step
  std::vector<MetricRecord> eval;   // sorted by step, one record per step
  std::optional<MetricRecord> summary;
  nlohmann::json config;       // run_config.json
  nlohmann::json all_results;  // all_results.json, or null when absent
};

RunData load_run(const std::string& dir);

// Loads every directory; labels that collide are replaced by the paths as given.
std::vector<RunData> load_runs(const std::vector<std::string>& dirs);

}  // namespace ft::cli
