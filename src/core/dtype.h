// Element types of stored and computed tensors.
#pragma once
#include <cstddef>
#include <optional>
#include <string_view>

namespace ft {

enum class DType { F32, BF16, F16 };

inline size_t dtype_size(DType t) { return t == DType::F32 ? 4 : 2; }

inline std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "F32";
    case DType::BF16: return "BF16";
    case DType::F16: return "F16";
  }
  return "?";
}

// Safetensors spelling ("F32", "BF16", "F16"); nullopt for anything else.
inline std::optional<DType> dtype_from_name(std::string_view s) {
  if (s == "F32") return DType::F32;
  if (s == "BF16") return DType::BF16;
  if (s == "F16") return DType::F16;
  return std::nullopt;
}

}  // namespace ft
