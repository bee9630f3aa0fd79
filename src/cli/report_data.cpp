#include "cli/report_data.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/error.h"

namespace ft::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json parse_json_file(const fs::path& path) {
  std::ifstream in(path);
  if (!in) fail_input(path.string(), "cannot read it; is this a finetune output directory?");
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    fail_input(path.string(), std::string("not valid JSON: ") + e.what());
  }
}

MetricRecord parse_metric_line(const json& j, const std::string& where) {
  if (!j.is_object()) fail_input(where, "expected a JSON object");
  const auto step = j.find("step");
  if (step == j.end() || !step->is_number_integer())
    fail_input(where, "field \"step\" must be an integer");
  MetricRecord r;
  r.step = step->get<int64_t>();
  for (const auto& [key, value] : j.items())
    if (value.is_number() && key != "step") r.values[key] = value.get<double>();
  return r;
}

std::vector<MetricRecord> sorted_by_step(const std::map<int64_t, MetricRecord>& by_step) {
  std::vector<MetricRecord> out;
  out.reserve(by_step.size());
  for (const auto& [step, record] : by_step) out.push_back(record);
  return out;
}

void read_metrics(const fs::path& path, RunData& run) {
  std::ifstream in(path);
  if (!in) fail_input(path.string(), "cannot read it; is this a finetune output directory?");
  std::map<int64_t, MetricRecord> train, eval;
  std::string line;
  for (int line_no = 1; std::getline(in, line); ++line_no) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path.string() + ":" + std::to_string(line_no);
    json j;
    try {
      j = json::parse(line);
    } catch (const json::parse_error& e) {
      // A line that ends before its object does is one a running trainer had not finished, or one
      // a killed run left (its resumed run went on below it).
      if (e.byte > line.size()) {
        std::fprintf(stderr, "note: %s: the line is cut short (a run still writing, or stopped mid-line); skipped\n",
                     where.c_str());
        continue;
      }
      fail_input(where, std::string("not valid JSON: ") + e.what());
    }
    const auto type = j.is_object() ? j.find("type") : j.end();
    if (type == j.end() || !type->is_string())
      fail_input(where, "expected an object with a string field \"type\" (train, eval or summary)");
    MetricRecord record = parse_metric_line(j, where);
    const std::string kind = type->get<std::string>();
    // A resumed run repeats the steps after its last checkpoint: the later line replaces the earlier.
    if (kind == "train") train[record.step] = std::move(record);
    else if (kind == "eval") eval[record.step] = std::move(record);
    else if (kind == "summary") run.summary = std::move(record);
    else fail_input(where, "unknown record type \"" + kind + "\" (expected train, eval or summary)");
  }
  run.train = sorted_by_step(train);
  run.eval = sorted_by_step(eval);
}

}  // namespace

double MetricRecord::get(const std::string& field) const {
  const auto it = values.find(field);
  return it == values.end() ? NAN : it->second;
}

RunData load_run(const std::string& dir) {
  const fs::path root(dir);
  if (!fs::is_directory(root)) fail_input(dir, "not a directory; pass a finetune output directory");
  RunData run;
  run.dir = dir;
  run.label = fs::path(dir).lexically_normal().filename().string();
  if (run.label.empty()) run.label = fs::path(dir).lexically_normal().parent_path().filename().string();
  if (run.label.empty()) run.label = dir;
  read_metrics(root / "metrics.jsonl", run);
  run.config = parse_json_file(root / "run_config.json");
  if (!run.config.is_object()) fail_input((root / "run_config.json").string(), "expected a JSON object");
  if (fs::exists(root / "all_results.json")) run.all_results = parse_json_file(root / "all_results.json");
  return run;
}

std::vector<RunData> load_runs(const std::vector<std::string>& dirs) {
  std::vector<RunData> runs;
  std::multiset<std::string> labels;
  for (const std::string& d : dirs) {
    runs.push_back(load_run(d));
    labels.insert(runs.back().label);
  }
  for (RunData& r : runs)
    if (labels.count(r.label) > 1) r.label = r.dir;
  return runs;
}

}  // namespace ft::cli
