// parse_safetensors: the untrusted-input boundary. It validates what the reference Rust crate
// validates (header length limit, JSON object, per-tensor dtype/shape/offsets, overflow, offsets
// that tile the data section exactly from 0 to its end) and returns views only after every check
// has passed, so no view can point outside the image.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "core/error.h"
#include "formats/safetensors.h"

namespace ft {

namespace {

// The reference implementation refuses headers above this size (a guard against memory bombs).
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

struct Entry {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0;
  uint64_t end = 0;
};

std::string quoted(const std::string& name) { return "tensor '" + name + "'"; }

// A JSON integer >= 0 as uint64; anything else throws naming the tensor and field.
uint64_t non_negative(const nlohmann::json& v, const std::string& file, const std::string& tensor,
                      const char* field) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer())
    fail_input(file, quoted(tensor) + " has a negative value in \"" + field + "\"; the file is corrupt");
  fail_input(file, quoted(tensor) + " has a non-integer in \"" + field + "\"; the file is corrupt");
}

Entry parse_entry(const std::string& name, const nlohmann::json& info, const std::string& file) {
  if (!info.is_object())
    fail_input(file, quoted(name) + " is not a JSON object {dtype, shape, data_offsets}");
  for (const char* field : {"dtype", "shape", "data_offsets"})
    if (!info.contains(field)) fail_input(file, quoted(name) + " has no \"" + field + "\" field");

  Entry e;
  e.name = name;
  const auto& dtype = info.at("dtype");
  if (!dtype.is_string()) fail_input(file, quoted(name) + ": \"dtype\" must be a string");
  const auto parsed = dtype_from_name(dtype.get_ref<const std::string&>());
  if (!parsed)
    fail_input(file, quoted(name) + " has dtype " + dtype.get<std::string>() +
                         ", which is not supported (F32, BF16 and F16 are)");
  e.dtype = *parsed;

  const auto& shape = info.at("shape");
  if (!shape.is_array()) fail_input(file, quoted(name) + ": \"shape\" must be an array of integers");
  uint64_t numel = 1;
  for (const auto& d : shape) {
    const uint64_t dim = non_negative(d, file, name, "shape");
    if (dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
        __builtin_mul_overflow(numel, dim, &numel))
      fail_input(file, quoted(name) + " has a shape whose element count overflows 64 bits");
    e.shape.push_back(static_cast<int64_t>(dim));
  }
  uint64_t nbytes = 0;
  if (__builtin_mul_overflow(numel, static_cast<uint64_t>(dtype_size(e.dtype)), &nbytes))
    fail_input(file, quoted(name) + " has a shape whose byte size overflows 64 bits");

  const auto& offsets = info.at("data_offsets");
  if (!offsets.is_array() || offsets.size() != 2)
    fail_input(file, quoted(name) + ": \"data_offsets\" must be [begin, end]");
  e.begin = non_negative(offsets[0], file, name, "data_offsets");
  e.end = non_negative(offsets[1], file, name, "data_offsets");
  if (e.begin > e.end)
    fail_input(file, quoted(name) + " has data_offsets begin " + std::to_string(e.begin) +
                         " > end " + std::to_string(e.end));
  if (e.end - e.begin != nbytes)
    fail_input(file, quoted(name) + " has " + std::to_string(e.end - e.begin) + " bytes but shape × " +
                         std::string(dtype_name(e.dtype)) + " needs " + std::to_string(nbytes));
  return e;
}

void check_metadata(const nlohmann::json& meta, const std::string& file) {
  if (meta.is_null()) return;
  if (!meta.is_object()) fail_input(file, "\"__metadata__\" must be an object of strings");
  for (const auto& [key, value] : meta.items())
    if (!value.is_string()) fail_input(file, "\"__metadata__\" entry '" + key + "' is not a string");
}

// Tensors sorted by offset must tile [0, data_size) exactly: no gap, no overlap, nothing past end.
void check_layout(std::vector<Entry>& entries, uint64_t data_size, const std::string& file) {
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t covered = 0;
  const Entry* previous = nullptr;
  for (const Entry& e : entries) {
    if (e.end > data_size)
      fail_input(file, quoted(e.name) + " ends at byte " + std::to_string(e.end) +
                           ", past the end of the data (" + std::to_string(data_size) +
                           " bytes); the file is truncated or corrupt");
    if (e.begin < covered)
      fail_input(file, quoted(e.name) + " overlaps " + quoted(previous->name) + " (data_offsets " +
                           std::to_string(e.begin) + " < " + std::to_string(covered) + ")");
    if (e.begin > covered)
      fail_input(file, "data bytes " + std::to_string(covered) + ".." + std::to_string(e.begin) +
                           " before " + quoted(e.name) + " belong to no tensor; the file is corrupt");
    covered = e.end;
    previous = &e;
  }
  if (covered != data_size)
    fail_input(file, "the data section has " + std::to_string(data_size) + " bytes but the tensors cover " +
                         std::to_string(covered) + "; the file is corrupt");
}

}  // namespace

int64_t TensorView::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::vector<TensorView> parse_safetensors(std::span<const std::byte> image, const std::string& file) {
  if (image.size() < 8)
    fail_input(file, "truncated: " + std::to_string(image.size()) +
                         " bytes, too short for the 8-byte header length of a safetensors file");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | std::to_integer<uint64_t>(image[i]);
  if (header_len > kMaxHeaderBytes)
    fail_input(file, "header length " + std::to_string(header_len) + " exceeds the " +
                         std::to_string(kMaxHeaderBytes) + "-byte limit; not a safetensors file?");
  const uint64_t available = image.size() - 8;
  if (header_len > available)
    fail_input(file, "truncated: the header needs " + std::to_string(header_len) +
                         " bytes but only " + std::to_string(available) + " follow the length field");

  const auto* header = reinterpret_cast<const char*>(image.data() + 8);
  if (header_len == 0 || header[0] != '{')
    fail_input(file, "the header does not start with '{'; not a safetensors file?");
  const auto root = nlohmann::json::parse(header, header + header_len, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) fail_input(file, "the header is not valid JSON (UTF-8); the file is corrupt");
  if (!root.is_object()) fail_input(file, "the header is not a JSON object");

  std::vector<Entry> entries;
  entries.reserve(root.size());
  for (const auto& [name, info] : root.items()) {
    if (name == "__metadata__")
      check_metadata(info, file);
    else
      entries.push_back(parse_entry(name, info, file));
  }
  const std::span<const std::byte> data = image.subspan(8 + header_len);
  check_layout(entries, data.size(), file);

  std::vector<TensorView> views;
  views.reserve(entries.size());
  for (Entry& e : entries)
    views.push_back(TensorView{std::move(e.name), e.dtype, std::move(e.shape),
                               data.subspan(e.begin, e.end - e.begin), file});
  return views;
}

}  // namespace ft
