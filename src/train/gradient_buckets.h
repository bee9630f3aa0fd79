// The flat gradient buffer cut into all-reduce buckets for data parallelism, in the order the
// backward pass finishes it: from the end backwards (the LM head and the last layer are done
// first, the embedding last), each bucket at most `cap` floats. layer_offsets[l] is where layer
// l's gradients begin (l = 0..L; [L] is where the tensors after the last layer begin): once the
// backward pass has finished layer l, everything from layer_offsets[l] on is final. Each bucket
// inside the final region is handed to `launch` as soon as it is complete, in one fixed order, so
// every rank issues the same collectives in the same order whatever its timing, even a rank that
// computed nothing this step (finish() launches what is left).
#pragma once
#include <cstdint>
#include <functional>
#include <span>
#include <utility>
#include <vector>

namespace ft {

class GradientBuckets {
 public:
  // std::invalid_argument unless cap > 0 and layer_offsets are non-decreasing within grads;
  // empty layer_offsets: buckets launch only at finish().
  GradientBuckets(std::span<float> grads, int64_t cap, std::vector<int64_t> layer_offsets,
                  std::function<void(std::span<float>)> launch);

  void start_step();               // no bucket launched yet
  void layer_finished(int layer);  // backward done down to `layer` (L = the head, −1 = all)
  void finish();                   // launches every bucket not launched yet
  size_t count() const { return buckets_.size(); }

 private:
  void launch_from(int64_t final_offset);

  std::span<float> grads_;
  std::vector<int64_t> layer_offsets_;
  std::function<void(std::span<float>)> launch_;
  std::vector<std::pair<int64_t, int64_t>> buckets_;  // [begin, end), last part of grads first
  size_t launched_ = 0;
};

}  // namespace ft
