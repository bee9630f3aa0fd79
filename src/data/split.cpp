#include "data/split.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "core/error.h"
#include "core/rng.h"

namespace ft::data {

namespace {
std::string short_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}
}  // namespace

double validation_fraction(double v, std::string& how_read) {
  if (!(v >= 0) || v >= 100)
    fail_usage("--validation_split_percentage " + short_number(v) +
               " is out of range; give a fraction (0.2) or a percentage (20) below 100");
  if (v == 0) {
    how_read = "no validation split";
    return 0;
  }
  if (v < 1) {
    how_read = "--validation_split_percentage " + short_number(v) + " read as a fraction (" +
               short_number(v * 100) + "%)";
    return v;
  }
  how_read = "--validation_split_percentage " + short_number(v) + " read as a percentage";
  return v / 100;
}

std::vector<size_t> seeded_permutation(size_t n, uint64_t seed, uint64_t stream) {
  std::vector<size_t> p(n);
  std::iota(p.begin(), p.end(), 0);
  if (n > UINT32_MAX) fail_usage("datasets above 2^32 records are not supported");
  // Each permutation owns a 2^40-wide slice of the shuffle stream's draw indices.
  const Rng rng(seed, RngStream::kShuffle);
  for (size_t i = n; i > 1; --i)
    std::swap(p[i - 1], p[rng.below(uint32_t(i), (stream << 40) | i)]);
  return p;
}

SplitIndices split_indices(size_t n, double fraction, uint64_t seed) {
  SplitIndices s;
  if (fraction <= 0) {
    s.train.resize(n);
    std::iota(s.train.begin(), s.train.end(), 0);
    return s;
  }
  const std::vector<size_t> p = seeded_permutation(n, seed, /*stream=*/0);
  const size_t n_eval = std::min(n, size_t(std::ceil(fraction * double(n) - 1e-9)));
  s.eval.assign(p.begin(), p.begin() + std::ptrdiff_t(n_eval));
  s.train.assign(p.begin() + std::ptrdiff_t(n_eval), p.end());
  return s;
}

void limit_samples(std::vector<size_t>& indices, int64_t max_count) {
  if (max_count >= 0 && size_t(max_count) < indices.size()) indices.resize(size_t(max_count));
}

}  // namespace ft::data
