#include "data/collate.h"

#include <algorithm>

namespace ft::data {

Batch collate(const std::vector<const Sequence*>& rows, int32_t pad_id, int pad_multiple) {
  Batch b;
  b.B = int(rows.size());
  size_t longest = 0;
  for (const Sequence* s : rows) longest = std::max(longest, s->size());
  const size_t m = size_t(std::max(1, pad_multiple));
  const size_t T = (longest + m - 1) / m * m;
  b.T = int(T);
  b.ids.assign(rows.size() * T, pad_id);
  b.labels.assign(rows.size() * T, kIgnoreLabel);
  b.positions.assign(rows.size() * T, 0);
  b.segments.assign(rows.size() * T, -1);
  for (size_t r = 0; r < rows.size(); ++r) {
    const Sequence& s = *rows[r];
    const auto at = std::ptrdiff_t(r * T);
    std::copy(s.ids.begin(), s.ids.end(), b.ids.begin() + at);
    std::copy(s.labels.begin(), s.labels.end(), b.labels.begin() + at);
    std::copy(s.positions.begin(), s.positions.end(), b.positions.begin() + at);
    std::copy(s.segments.begin(), s.segments.end(), b.segments.begin() + at);
    for (size_t t = 1; t < s.size(); ++t) b.target_tokens += s.labels[t] != kIgnoreLabel;
  }
  return b;
}

}  // namespace ft::data
