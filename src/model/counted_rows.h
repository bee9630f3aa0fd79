// The rows of a batch whose targets count (not kIgnoreIndex), walked in runs of consecutive rows.
// The LM head and its loss run on these rows only: an ignored row (a masked prompt, padding) has
// no loss and passes no gradient back, yet with a 32000-word vocabulary its logits cost as much as
// a decoder layer. A batch where every row counts is one run per chunk, as before.
#pragma once
#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "kernels/cross_entropy.h"

namespace ft {

inline std::vector<int64_t> counted_rows(std::span<const int> targets) {
  std::vector<int64_t> rows;
  for (size_t r = 0; r < targets.size(); ++r)
    if (targets[r] != kIgnoreIndex) rows.push_back(static_cast<int64_t>(r));
  return rows;
}

// out[i] = targets[rows[i]].
inline void gather_targets(int* out, std::span<const int> targets, std::span<const int64_t> rows) {
  for (size_t i = 0; i < rows.size(); ++i) out[i] = targets[static_cast<size_t>(rows[i])];
}

// f(slice) for consecutive slices of at most `chunk` rows: the loss chunks.
template <class F>
void for_each_chunk(std::span<const int64_t> rows, int64_t chunk, F&& f) {
  for (size_t i = 0; i < rows.size(); i += static_cast<size_t>(chunk))
    f(rows.subspan(i, std::min(static_cast<size_t>(chunk), rows.size() - i)));
}

// f(offset, first, count) for each maximal run rows[offset..offset+count) = first, first+1, ...
template <class F>
void for_each_run(std::span<const int64_t> rows, F&& f) {
  for (size_t i = 0; i < rows.size();) {
    size_t j = i + 1;
    while (j < rows.size() && rows[j] == rows[j - 1] + 1) ++j;
    f(static_cast<int64_t>(i), rows[i], static_cast<int64_t>(j - i));
    i = j;
  }
}

}  // namespace ft
