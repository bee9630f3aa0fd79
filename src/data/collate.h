// Collation: sequences into one padded [B, T] batch, T = the longest sequence rounded up to a
// multiple of 8 (aligned GEMM rows). Padding: ids = pad_id, labels = -100, positions = 0,
// segments = -1 (attention treats segment -1 as masked; equal segments attend causally).
#pragma once
#include <cstdint>
#include <vector>

#include "data/packing.h"

namespace ft::data {

struct Batch {
  int B = 0, T = 0;
  std::vector<int32_t> ids, labels, positions, segments;  // each [B * T], row-major
  size_t target_tokens = 0;  // labels[t + 1] != -100 within a row: the loss's denominator
};

Batch collate(const std::vector<const Sequence*>& rows, int32_t pad_id, int pad_multiple = 8);

}  // namespace ft::data
