// Safetensors files: a bounds-checked header parser (pure, fuzzable), a memory-mapped reader for
// one file or a sharded directory (`model.safetensors.index.json`), and an atomic writer.
// Every error is an ft::Error with kExitBadInput whose one-line message names the file and tensor.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/dtype.h"

namespace ft {

struct TensorView {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::span<const std::byte> bytes;  // points into the mapped file
  std::string file;                  // the file it came from, for error messages

  int64_t numel() const;
};

// Parses a whole safetensors image (8-byte length, JSON header, data). Rejects, as the reference
// crate does, an oversized (> 100 MB) or truncated header, non-JSON, unknown dtypes, offsets past
// the end of the data, overlaps or gaps (tensors must tile the data section exactly), and sizes
// that do not match shape × dtype. Views are in offset order. `file` is used only in messages.
std::vector<TensorView> parse_safetensors(std::span<const std::byte> image, const std::string& file);

// All tensors of a model directory, memory-mapped: `model.safetensors`, or the shards listed in
// `model.safetensors.index.json`.
class WeightStore {
 public:
  static WeightStore open_file(const std::string& path);
  static WeightStore open_dir(const std::string& dir);

  bool contains(const std::string& name) const;
  // The tensor `name`; throws naming the directory and tensor when it is missing or, when
  // `shape` is given, when its shape differs.
  const TensorView& require(const std::string& name, const std::vector<int64_t>& shape = {}) const;
  std::vector<std::string> names() const;
  const std::string& source() const { return source_; }

  // Converts a tensor of any stored dtype into the caller's fp32 or bf16 buffer of numel() elements.
  static void copy_to_f32(const TensorView& t, float* out);
  static void copy_to_bf16(const TensorView& t, uint16_t* out);
  // After copying: drops the tensor's mapped pages from the resident set, so a loader holds the
  // converted weights and not the file as well (peak RSS = weights, not weights + file).
  void release(const TensorView& t) const;

 private:
  struct Mapping;
  std::string source_;
  std::vector<std::shared_ptr<Mapping>> mappings_;
  std::map<std::string, TensorView> tensors_;
};

// Writes tensors (raw little-endian bytes of numel × dtype size) to `path` atomically: temp file in
// the same directory, fsync, rename. Data keeps the given order except that 4-byte dtypes come
// before 2-byte ones, so every tensor is naturally aligned. I/O failure is an ft::Error (exit 1);
// a byte size that does not match the shape, or a duplicate name, is std::invalid_argument (a bug).
struct TensorToWrite {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::span<const std::byte> bytes;
};
void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace ft
