// Causal grouped-query attention, flash style: keys are visited in tiles with an online softmax,
// so no T×S score matrix exists. Dimensions: B batch, T queries, NH query heads, NKV kv heads
// (NH % NKV == 0; head h reads kv head h / (NH/NKV)), HD head dim.
// q, out: [B,T,NH,HD]. k, v: [B,kv_capacity,NKV,HD], rows 0..past+T−1 filled (a KV cache, or
// this step's keys with past = 0). Query t sits at position past+t and sees keys 0..past+t, and
// only the last `window` of them when window > 0 (sliding-window attention).
// segments (optional, [B,T], past = 0 only): document ids of packed rows. Query t then also sees
// only keys of its own segment; each id must be one contiguous run of its row (as the collator
// emits). A query of segment −1 (padding) sees only itself: finite output, and its gradient stays
// in its own row. Keys outside a query's run are never visited, so a packed block costs what its
// documents cost alone. Null = one segment per row.
// lse: [B,NH,T], the per-row logsumexp of the scaled scores, kept for the backward pass.
#pragma once
#include <cstdint>
#include <vector>

namespace ft {

struct AttentionShape {
  int64_t B = 0, T = 0, NH = 0, NKV = 0, HD = 0;
  int64_t past = 0;
  int64_t kv_capacity = 0;
  int64_t window = 0;
};

void attention_forward(float* out, float* lse, const float* q, const float* k, const float* v,
                       const AttentionShape& shape, const int32_t* segments = nullptr);

// How attention_backward spreads over threads. kOnePass: one task per (batch, kv head), which owns
// its dk/dv rows and computes every gradient in one visit of each tile. kTwoPass: dk/dv by tasks
// owning one key tile each, then dq by tasks owning one query block each; each pass recomputes the
// probabilities and dP, so it multiplies 7 tiles where one pass multiplies 5, but it has
// B·NKV·T/64 tasks instead of B·NKV (batch 1 of a model with few kv heads keeps 1-8 threads busy
// in one pass). kAuto picks the one that finishes first if tasks of one size take equal time.
// Every element sums the same terms in the same order either way, so both give the same bits.
enum class AttentionBackwardSchedule { kAuto, kOnePass, kTwoPass };
AttentionBackwardSchedule attention_backward_schedule(const AttentionShape& shape, int threads);

// Backward of attention_forward over one block of T queries and keys (past = 0, kv_capacity = T),
// recomputing probabilities from the saved lse tile by tile: O(T) extra memory. Writes dq [B,T,NH,HD]
// and dk, dv [B,T,NKV,HD] (kv heads sum their query heads' contributions).
void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* out,
                        const float* lse, const float* q, const float* k, const float* v,
                        const AttentionShape& shape, const int32_t* segments = nullptr,
                        AttentionBackwardSchedule schedule = AttentionBackwardSchedule::kAuto);

// The first key each query sees, [B*T]; the last is always the query's own position. Shared by
// forward and backward so both apply exactly the same mask.
std::vector<int64_t> first_visible_keys(const AttentionShape& shape, const int32_t* segments);

}  // namespace ft
