// Holding out a validation share: record indices shuffled by a seeded counter-based permutation,
// the first ceil(fraction * n) become validation; --max_*_samples then keep the first N of each.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ft::data {

// --validation_split_percentage accepts a fraction (0 < v < 1, e.g. 0.2) or a percentage
// (1 <= v < 100, e.g. 20); returns the fraction and says in `how_read` which reading was used.
double validation_fraction(double flag_value, std::string& how_read);

struct SplitIndices {
  std::vector<size_t> train, eval;
};

SplitIndices split_indices(size_t n, double validation_fraction, uint64_t seed);

// Keeps the first `max_count` indices; max_count < 0 keeps all.
void limit_samples(std::vector<size_t>& indices, int64_t max_count);

// A permutation of 0..n-1 that depends only on (seed, stream): Fisher-Yates driven by the Philox
// shuffle stream (core/rng.h) at draw indices derived from (stream, step), so any epoch's order is
// recomputed without replaying the others. Stream 0 is the validation split, epoch e uses e + 1.
std::vector<size_t> seeded_permutation(size_t n, uint64_t seed, uint64_t stream);

}  // namespace ft::data
