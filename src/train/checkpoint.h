// Checkpoints: output_dir/checkpoint-<step>/ with the trainable values and AdamW moments
// (trainable.safetensors, optimizer.safetensors), trainer_state.json (the Transformers fields plus
// a "finetune_cpp" section with what exact resumption needs), any model files the caller writes
// (the PEFT adapter), and checksums.json last. The directory is assembled under a hidden temporary
// name and renamed into place, and a checkpoint counts as complete only when every file matches
// checksums.json, so a crash mid-write never leaves one that looks complete.
#pragma once
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace ft {

struct CheckpointData {
  std::span<const float> values, first_moment, second_moment;
  nlohmann::json trainer_state;
};

// Writes checkpoint-<step> and returns its path. `write_model_files(dir)` adds files (may be empty).
std::string save_checkpoint(const std::string& output_dir, int64_t step, const CheckpointData& data,
                            const std::function<void(const std::string&)>& write_model_files);

// Verifies the checksums and restores into the caller's buffers (sizes must match: a mismatch means
// a different model, adapter or target modules, an ft::Error naming the file). Returns trainer_state.
nlohmann::json load_checkpoint(const std::string& dir, std::span<float> values,
                               std::span<float> first_moment, std::span<float> second_moment);

// "" when complete, else why not (missing checksums.json, a file that differs from it, ...).
std::string checkpoint_problem(const std::string& dir);

// checkpoint-N directories of output_dir, ascending by N (complete or not).
std::vector<std::string> list_checkpoints(const std::string& output_dir);
// The newest complete checkpoint; incomplete newer ones are reported through `skipped`.
std::optional<std::string> newest_complete_checkpoint(const std::string& output_dir,
                                                      std::vector<std::string>* skipped = nullptr);
// Deletes the oldest checkpoints so at most `keep` remain (keep 0 = no limit); returns each one
// it removed, with why it could not when it could not ("" when deleted).
struct RotatedCheckpoint {
  std::string path, problem;
};
std::vector<RotatedCheckpoint> rotate_checkpoints(const std::string& output_dir, int64_t keep);

}  // namespace ft
