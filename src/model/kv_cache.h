// Keys and values (after RoPE) of the tokens seen so far, for incremental decoding:
// per layer [B, capacity, NKV, HD] fp32. Every batch row holds `length` tokens.
#pragma once
#include <cstdint>

#include "core/buffer.h"
#include "model/config.h"

namespace ft {

class KvCache {
 public:
  KvCache(const ModelConfig& config, int64_t B, int64_t capacity)
      : B_(B),
        capacity_(capacity),
        layer_floats_(B * capacity * config.num_key_value_heads * config.head_dim),
        k_(static_cast<size_t>(layer_floats_ * config.num_hidden_layers)),
        v_(static_cast<size_t>(layer_floats_ * config.num_hidden_layers)) {}

  int64_t batch() const { return B_; }
  int64_t capacity() const { return capacity_; }
  int64_t length() const { return length_; }
  void advance(int64_t tokens) { length_ += tokens; }
  void clear() { length_ = 0; }

  float* keys(int layer) { return k_.data() + layer * layer_floats_; }
  float* values(int layer) { return v_.data() + layer * layer_floats_; }

 private:
  int64_t B_, capacity_, layer_floats_;
  int64_t length_ = 0;
  Buffer<float> k_, v_;
};

}  // namespace ft
