#include "train/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/sha256.h"
#include "formats/atomic_file.h"
#include "formats/safetensors.h"

namespace ft {
namespace fs = std::filesystem;

namespace {

constexpr const char* kChecksums = "checksums.json";
constexpr const char* kTrainable = "trainable.safetensors";
constexpr const char* kOptimizer = "optimizer.safetensors";
constexpr const char* kState = "trainer_state.json";

TensorToWrite flat_tensor(const char* name, std::span<const float> v) {
  return {name, DType::F32, {static_cast<int64_t>(v.size())}, std::as_bytes(v)};
}

std::optional<int64_t> checkpoint_step(const fs::path& p) {
  const std::string name = p.filename().string();
  constexpr std::string_view prefix = "checkpoint-";
  if (name.rfind(prefix, 0) != 0 || name.size() == prefix.size()) return std::nullopt;
  int64_t step = 0;
  const char* first = name.data() + prefix.size();
  const char* last = name.data() + name.size();
  const auto [end, ec] = std::from_chars(first, last, step);
  if (ec != std::errc() || end != last) return std::nullopt;
  return step;
}

void sync_directory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;  // persisting the rename is best effort; correctness rests on checksums.json
  ::fsync(fd);
  ::close(fd);
}

void remove_quietly(const fs::path& p) {
  std::error_code ec;
  fs::remove_all(p, ec);
}

void restore_flat(const WeightStore& store, const char* name, std::span<float> out) {
  const TensorView& t = store.require(name, {static_cast<int64_t>(out.size())});
  if (t.dtype != DType::F32) fail_input(t.file, std::string(name) + " must be F32");
  WeightStore::copy_to_f32(t, out.data());
}

}  // namespace

std::string save_checkpoint(const std::string& output_dir, int64_t step, const CheckpointData& data,
                            const std::function<void(const std::string&)>& write_model_files) {
  const fs::path final_dir = fs::path(output_dir) / ("checkpoint-" + std::to_string(step));
  const fs::path tmp = fs::path(output_dir) / (".checkpoint-" + std::to_string(step) + ".partial");
  remove_quietly(tmp);
  std::error_code ec;
  fs::create_directories(tmp, ec);
  if (ec) fail_usage(tmp.string() + ": cannot create the checkpoint directory: " + ec.message());

  // A save that fails (a full disk) takes its partial directory with it: it held most of the
  // space left until a later run saved that same step.
  try {
    write_safetensors((tmp / kTrainable).string(), {flat_tensor("values", data.values)});
    write_safetensors((tmp / kOptimizer).string(), {flat_tensor("exp_avg", data.first_moment),
                                                    flat_tensor("exp_avg_sq", data.second_moment)});
    write_file_atomic((tmp / kState).string(), data.trainer_state.dump(2) + "\n");
    if (write_model_files) write_model_files(tmp.string());

    nlohmann::json sums = nlohmann::json::object();
    for (const auto& entry : fs::directory_iterator(tmp)) {
      if (!entry.is_regular_file()) continue;
      const std::string name = entry.path().filename().string();
      sums[name] = {{"sha256", sha256_file_hex(entry.path().string())}, {"bytes", entry.file_size()}};
    }
    write_file_atomic((tmp / kChecksums).string(), nlohmann::json{{"files", sums}}.dump(2) + "\n");
    sync_directory(tmp);
  } catch (...) {
    remove_quietly(tmp);
    throw;
  }

  remove_quietly(final_dir);
  fs::rename(tmp, final_dir, ec);
  if (ec) {
    remove_quietly(tmp);
    fail_usage(final_dir.string() + ": cannot move the checkpoint into place: " + ec.message());
  }
  sync_directory(output_dir);
  return final_dir.string();
}

std::string checkpoint_problem(const std::string& dir) {
  const fs::path sums_path = fs::path(dir) / kChecksums;
  if (!fs::exists(sums_path)) return "no checksums.json (the write did not finish)";
  nlohmann::json sums;
  try {
    std::ifstream in(sums_path);
    sums = nlohmann::json::parse(in).at("files");
  } catch (const std::exception&) {
    return "checksums.json is unreadable";
  }
  for (const char* required : {kTrainable, kOptimizer, kState})
    if (!sums.contains(required)) return std::string("checksums.json does not list ") + required;
  for (const auto& [name, entry] : sums.items()) {
    const fs::path file = fs::path(dir) / name;
    std::error_code ec;
    const auto size = fs::file_size(file, ec);
    if (ec) return name + " is missing";
    if (!entry.contains("bytes") || entry["bytes"] != size) return name + " has the wrong size";
    if (!entry.contains("sha256") || entry["sha256"] != sha256_file_hex(file.string()))
      return name + " does not match its checksum";
  }
  return "";
}

nlohmann::json load_checkpoint(const std::string& dir, std::span<float> values,
                               std::span<float> first_moment, std::span<float> second_moment) {
  if (const std::string problem = checkpoint_problem(dir); !problem.empty())
    fail_input(dir, "incomplete or damaged checkpoint: " + problem);
  const WeightStore trainable = WeightStore::open_file((fs::path(dir) / kTrainable).string());
  const std::string size_hint =
      " (the run that wrote it trained a different model, adapter rank or target modules)";
  const TensorView& v = trainable.require("values");
  if (v.numel() != static_cast<int64_t>(values.size()))
    fail_input(v.file, "holds " + std::to_string(v.numel()) + " trainable values, this run has " +
                           std::to_string(values.size()) + size_hint);
  restore_flat(trainable, "values", values);
  const WeightStore optimizer = WeightStore::open_file((fs::path(dir) / kOptimizer).string());
  restore_flat(optimizer, "exp_avg", first_moment);
  restore_flat(optimizer, "exp_avg_sq", second_moment);
  const std::string state_path = (fs::path(dir) / kState).string();
  try {
    std::ifstream in(state_path);
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    fail_input(state_path, std::string("not valid JSON: ") + e.what());
  }
}

std::vector<std::string> list_checkpoints(const std::string& output_dir) {
  std::vector<std::pair<int64_t, std::string>> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(output_dir, ec)) {
    if (!entry.is_directory()) continue;
    if (const auto step = checkpoint_step(entry.path())) found.emplace_back(*step, entry.path().string());
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (auto& [step, path] : found) out.push_back(std::move(path));
  return out;
}

std::optional<std::string> newest_complete_checkpoint(const std::string& output_dir,
                                                      std::vector<std::string>* skipped) {
  const std::vector<std::string> all = list_checkpoints(output_dir);
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    const std::string problem = checkpoint_problem(*it);
    if (problem.empty()) return *it;
    if (skipped) skipped->push_back(*it + ": " + problem);
  }
  return std::nullopt;
}

std::vector<RotatedCheckpoint> rotate_checkpoints(const std::string& output_dir, int64_t keep) {
  std::vector<RotatedCheckpoint> rotated;
  if (keep <= 0) return rotated;
  const std::vector<std::string> all = list_checkpoints(output_dir);
  for (size_t i = 0; i + static_cast<size_t>(keep) < all.size(); ++i) {
    std::error_code ec;
    fs::remove_all(all[i], ec);
    rotated.push_back({all[i], ec ? ec.message() : ""});
  }
  return rotated;
}

}  // namespace ft
