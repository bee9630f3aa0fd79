// write_safetensors: the header is compact JSON ("__metadata__" first, then tensors with
// dtype/shape/data_offsets, as the reference writer emits), padded with spaces to a multiple of 8
// so the data section starts aligned. Written to a temp file in the destination directory,
// fsync'ed and renamed, so a crash never leaves a half-written file under the final name.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>
#include <stdexcept>

#include "core/error.h"
#include "formats/atomic_file.h"
#include "formats/safetensors.h"

namespace ft {

namespace {

uint64_t element_count(const TensorToWrite& t) {
  uint64_t n = 1;
  for (int64_t d : t.shape) {
    if (d < 0) throw std::invalid_argument("write_safetensors: negative dimension in " + t.name);
    n *= static_cast<uint64_t>(d);
  }
  return n;
}

}  // namespace

void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  // Wider dtypes first (stable otherwise) keeps every tensor naturally aligned in the file, which
  // zero-copy readers such as torch rely on.
  std::vector<const TensorToWrite*> order;
  for (const auto& t : tensors) order.push_back(&t);
  std::stable_sort(order.begin(), order.end(), [](const TensorToWrite* a, const TensorToWrite* b) {
    return dtype_size(a->dtype) > dtype_size(b->dtype);
  });

  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::set<std::string> seen;
  uint64_t offset = 0;
  for (const TensorToWrite* t : order) {
    if (t->name == "__metadata__" || !seen.insert(t->name).second)
      throw std::invalid_argument("write_safetensors: duplicate or reserved tensor name " + t->name);
    const uint64_t nbytes = element_count(*t) * dtype_size(t->dtype);
    if (nbytes != t->bytes.size())
      throw std::invalid_argument("write_safetensors: " + t->name + " has " +
                                  std::to_string(t->bytes.size()) + " bytes, shape needs " +
                                  std::to_string(nbytes));
    header[t->name] = {{"dtype", std::string(dtype_name(t->dtype))},
                       {"shape", t->shape},
                       {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  unsigned char length[8];
  for (int i = 0; i < 8; ++i) length[i] = static_cast<unsigned char>(static_cast<uint64_t>(text.size()) >> (8 * i));

  std::vector<std::span<const std::byte>> pieces = {std::as_bytes(std::span(length)),
                                                    std::as_bytes(std::span(text.data(), text.size()))};
  for (const TensorToWrite* t : order) pieces.push_back(t->bytes);
  write_file_atomic(path, pieces);
}

}  // namespace ft
