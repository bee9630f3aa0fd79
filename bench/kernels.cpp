// Kernel micro-benchmarks (Google Benchmark) on model shapes, so every kernel's speed is tracked:
// GEMM (forward, input-grad, weight-grad; fp32 and bf16, on the engine gemm() picks), LoRA's
// rank-8 branch (forward, backward), the AMX engine's packing of A and B into tiles (plain CPU
// code, so it runs on every machine), attention,
// RMSNorm, RoPE, SwiGLU, cross-entropy (forward; forward + backward fused, as training runs it),
// exp and the bf16 conversions. Counters: FLOP/s for GEMM and attention, bytes/s
// (bytes_per_second) for the memory-bound kernels, all per wall-clock second (the kernels run on
// every OpenMP thread).
//
//   bench_kernels [--benchmark_filter=Gemm] [--benchmark_min_time=0.2]
// Shapes: TinyLlama-1.1B (hidden 2048, intermediate 5632, 32 heads of 64, 4 KV heads, vocab 32000)
// and SmolLM2-135M (576, 1536, 9 heads, 3 KV heads, vocab 49152); 4096 tokens (8 × 512) except
// attention (2 × 512, same per-row work) and the LM head's loss chunk (loss_chunk_rows).
#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "core/buffer.h"
#include "core/cpu_features.h"
#include "core/half.h"
#include "kernels/amx_gemm.h"
#include "kernels/attention.h"
#include "kernels/cross_entropy.h"
#include "kernels/elementwise.h"
#include "kernels/gemm.h"
#include "kernels/lora_linear.h"
#include "kernels/rmsnorm.h"
#include "kernels/rope.h"
#include "kernels/swiglu.h"
#include "kernels/vector_exp.h"
#include "model/activations.h"

namespace {

using namespace ft;

constexpr int64_t kTokens = 4096;

Buffer<float> random_floats(int64_t n, uint32_t seed, float scale = 1.0f) {
  Buffer<float> b(static_cast<size_t>(n));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-scale, scale);
  for (auto& x : b) x = u(rng);
  return b;
}

// n random values of dtype dt (bf16 packed into the first half of the float buffer).
Buffer<float> random_operand(int64_t n, DType dt, uint32_t seed) {
  Buffer<float> b = random_floats(n, seed);
  if (dt == DType::BF16) {
    auto* h = reinterpret_cast<bf16*>(b.data());
    for (int64_t i = 0; i < n; ++i) h[i] = f32_to_bf16(b[static_cast<size_t>(i)]);
  }
  return b;
}

void flop_rate(benchmark::State& state, double flop_per_iteration) {
  state.counters["FLOP/s"] =
      benchmark::Counter(flop_per_iteration, benchmark::Counter::kIsIterationInvariantRate);
}

void bytes_rate(benchmark::State& state, int64_t bytes_per_iteration) {
  state.SetBytesProcessed(state.iterations() * bytes_per_iteration);
}

// ---- GEMM: args {M, N, K, op (0 fwd, 1 dx, 2 dW), bf16}
void BM_Gemm(benchmark::State& state) {
  const int64_t M = state.range(0), N = state.range(1), K = state.range(2);
  const int op = static_cast<int>(state.range(3));
  const DType dt = state.range(4) ? DType::BF16 : DType::F32;
  GemmShape s{.M = M, .N = N, .K = K, .a = dt, .b = dt};
  if (op >= 1) s.b_transposed = false;
  if (op == 2) s.a_transposed = s.accumulate = true;
  auto a = random_operand(M * K, dt, 1), b = random_operand(K * N, dt, 2);
  auto c = random_floats(M * N, 3);
  gemm_prepare(s);
  for (auto _ : state) gemm(s, a.data(), b.data(), nullptr, c.data());
  flop_rate(state, 2.0 * double(M) * double(N) * double(K));
  state.SetLabel(std::string(gemm_engine_name(gemm_engine_for(s))));
}

void gemm_shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"M", "N", "K", "op", "bf16"});
  struct Proj { int64_t in, out, rows; };
  const Proj projections[] = {
      {2048, 2048, kTokens}, {2048, 256, kTokens}, {2048, 5632, kTokens}, {5632, 2048, kTokens},
      {2048, 32000, loss_chunk_rows(32000, kTokens)},  // TinyLlama
      {576, 576, kTokens}, {576, 1536, kTokens}, {1536, 576, kTokens},
      {576, 49152, loss_chunk_rows(49152, kTokens)}};  // SmolLM2
  for (int bf16 : {0, 1})
    for (const Proj& p : projections) {
      b->Args({p.rows, p.out, p.in, 0, bf16});
      b->Args({p.rows, p.in, p.out, 1, bf16});
      b->Args({p.out, p.in, p.rows, 2, bf16});
    }
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}
BENCHMARK(BM_Gemm)->Apply(gemm_shapes);

// ---- LoRA's rank-8 branch beside a projection: args {in, out}, M = kTokens. Its GEMMs are thin
// (one side 8 wide), so memory bounds them: bytes/s counts the least traffic each direction needs
// (forward: read x, read and write y; backward: read dy and x, read and write dx).
LoraShape lora_shape(const benchmark::State& state) {
  return {.M = kTokens, .in = state.range(0), .out = state.range(1), .r = 8, .scaling = 2.0f};
}

void BM_LoraForward(benchmark::State& state) {
  const LoraShape s = lora_shape(state);
  auto x = random_floats(s.M * s.in, 1), A = random_floats(s.r * s.in, 2), B = random_floats(s.out * s.r, 3);
  auto y = random_floats(s.M * s.out, 4);
  Buffer<float> su(static_cast<size_t>(s.M * s.r));
  for (auto _ : state) lora_forward(y.data(), su.data(), x.data(), A.data(), B.data(), s);
  bytes_rate(state, (s.M * s.in + 2 * s.M * s.out) * 4);
}

void BM_LoraBackward(benchmark::State& state) {
  const LoraShape s = lora_shape(state);
  auto x = random_floats(s.M * s.in, 1), A = random_floats(s.r * s.in, 2), B = random_floats(s.out * s.r, 3);
  auto dy = random_floats(s.M * s.out, 4), su = random_floats(s.M * s.r, 5), dx = random_floats(s.M * s.in, 6);
  Buffer<float> dA(A.size()), dB(B.size());
  Buffer<float> scratch(static_cast<size_t>(lora_backward_scratch_floats(s.M, s.r, std::max(s.in, s.out))));
  for (auto _ : state)
    lora_backward(dx.data(), dA.data(), dB.data(), scratch.data(), dy.data(), x.data(), A.data(), B.data(),
                  su.data(), s);
  bytes_rate(state, (s.M * s.out + 3 * s.M * s.in) * 4);
}

void lora_projections(benchmark::internal::Benchmark* b) {
  b->ArgNames({"in", "out"})->Args({2048, 2048})->Args({2048, 256})->Args({2048, 5632})->Args({5632, 2048})
      ->Unit(benchmark::kMillisecond)->UseRealTime();
}
BENCHMARK(BM_LoraForward)->Apply(lora_projections);
BENCHMARK(BM_LoraBackward)->Apply(lora_projections);

// ---- AMX packing: args {rows, K, layout}. A: layout 0 row-major [rows, K] (activations), 1 stored
// [K, rows] (a weight gradient's Aᵀ). B: layout 0 a weight [N, K] (forward), 1 stored [K, N]
// (input gradient). What a call of the AMX engine spends before its tiles start (B only when its
// weight is not packed once); bytes read plus written.
// One operand of `extent` rows (A) or columns (B) by K, in the layout state.range(2) names.
template <bool kIsA>
void BM_AmxPack(benchmark::State& state) {
  const int64_t extent = state.range(0), K = state.range(1);
  const bool plain = state.range(2) == 0;
  const Buffer<float> src = random_operand(extent * K, DType::BF16, 1);
  Buffer<bf16> out(static_cast<size_t>(gemm_detail::amx::packed_elems(extent, K)));
  const auto* in = reinterpret_cast<const bf16*>(src.data());
  for (auto _ : state) {
    if (kIsA) gemm_detail::amx::pack_a(in, extent, K, plain ? K : 1, plain ? 1 : extent, out.data());
    else gemm_detail::amx::pack_b(in, K, extent, plain ? 1 : extent, plain ? K : 1, out.data());
  }
  bytes_rate(state, 4 * extent * K);
}

void amx_pack_shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"rows", "K", "layout"})->Unit(benchmark::kMillisecond)->UseRealTime();
  for (int layout : {0, 1}) b->Args({kTokens, 2048, layout})->Args({kTokens, 5632, layout});
}
BENCHMARK(BM_AmxPack<true>)->Name("BM_AmxPackA")->Apply(amx_pack_shapes);
BENCHMARK(BM_AmxPack<false>)->Name("BM_AmxPackB")->ArgNames({"N", "K", "layout"})->Unit(benchmark::kMillisecond)->UseRealTime()
    ->Args({5632, 2048, 0})->Args({2048, 5632, 0})->Args({2048, 5632, 1})->Args({5632, 2048, 1});

// ---- Attention: args {NH, NKV, HD}, B = 2, T = 512, causal.
AttentionShape attention_shape(const benchmark::State& state) {
  return {.B = 2, .T = 512, .NH = state.range(0), .NKV = state.range(1), .HD = state.range(2),
          .past = 0, .kv_capacity = 512};
}

// Causal attention multiplies two T×T/2 score halves by HD per head: 4·B·NH·(T²/2)·HD.
double attention_flop(const AttentionShape& s) {
  return 4.0 * double(s.B * s.NH) * double(s.T) * double(s.T) / 2.0 * double(s.HD);
}

void BM_AttentionForward(benchmark::State& state) {
  const AttentionShape s = attention_shape(state);
  auto q = random_floats(s.B * s.T * s.NH * s.HD, 1), k = random_floats(s.B * s.T * s.NKV * s.HD, 2),
       v = random_floats(s.B * s.T * s.NKV * s.HD, 3);
  Buffer<float> out(q.size()), lse(static_cast<size_t>(s.B * s.NH * s.T));
  for (auto _ : state) attention_forward(out.data(), lse.data(), q.data(), k.data(), v.data(), s);
  flop_rate(state, attention_flop(s));
}

void attention_backward_rate(benchmark::State& state, const AttentionShape& s,
                             AttentionBackwardSchedule schedule) {
  auto q = random_floats(s.B * s.T * s.NH * s.HD, 1), k = random_floats(s.B * s.T * s.NKV * s.HD, 2),
       v = random_floats(s.B * s.T * s.NKV * s.HD, 3), dout = random_floats(q.size(), 4);
  Buffer<float> out(q.size()), lse(static_cast<size_t>(s.B * s.NH * s.T));
  Buffer<float> dq(q.size()), dk(k.size()), dv(v.size());
  attention_forward(out.data(), lse.data(), q.data(), k.data(), v.data(), s);
  for (auto _ : state)
    attention_backward(dq.data(), dk.data(), dv.data(), dout.data(), out.data(), lse.data(),
                       q.data(), k.data(), v.data(), s, nullptr, schedule);
  // Five products of the forward's two sizes in one pass (two passes multiply 7, counted as 5).
  flop_rate(state, 2.5 * attention_flop(s));
}

void BM_AttentionBackward(benchmark::State& state) {
  attention_backward_rate(state, attention_shape(state), AttentionBackwardSchedule::kAuto);
}

// One row (batch 1) with few kv heads, where one task per kv head leaves threads idle: args
// {NH, NKV, HD, schedule} with schedule 0 = automatic, 1 = one pass, 2 = two passes.
void BM_AttentionBackwardBatch1(benchmark::State& state) {
  AttentionShape s = attention_shape(state);
  s.B = 1;
  const auto schedule = static_cast<AttentionBackwardSchedule>(state.range(3));
  state.SetLabel(attention_backward_schedule(s, omp_get_max_threads()) ==
                         AttentionBackwardSchedule::kTwoPass
                     ? "auto: two passes"
                     : "auto: one pass");
  attention_backward_rate(state, s, schedule);
}
// One generated token per row against a KV cache of 511 earlier ones (`finetune generate`).
void BM_AttentionDecode(benchmark::State& state) {
  AttentionShape s = attention_shape(state);
  s.past = s.T - 1;
  s.T = 1;
  auto q = random_floats(s.B * s.NH * s.HD, 1), k = random_floats(s.B * s.kv_capacity * s.NKV * s.HD, 2),
       v = random_floats(k.size(), 3);
  Buffer<float> out(q.size()), lse(static_cast<size_t>(s.B * s.NH));
  for (auto _ : state) attention_forward(out.data(), lse.data(), q.data(), k.data(), v.data(), s);
  flop_rate(state, 4.0 * double(s.B * s.NH) * double(s.kv_capacity) * double(s.HD));
}
BENCHMARK(BM_AttentionForward)->ArgNames({"NH", "NKV", "HD"})->Args({32, 4, 64})->Args({9, 3, 64})
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AttentionDecode)->ArgNames({"NH", "NKV", "HD"})->Args({32, 4, 64})->Args({9, 3, 64})
    ->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_AttentionBackward)->ArgNames({"NH", "NKV", "HD"})->Args({32, 4, 64})->Args({9, 3, 64})
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AttentionBackwardBatch1)->ArgNames({"NH", "NKV", "HD", "schedule"})
    ->ArgsProduct({{8}, {1}, {64}, {0, 1, 2}})->ArgsProduct({{9}, {3}, {64}, {0, 1, 2}})
    ->Unit(benchmark::kMillisecond)->UseRealTime();

// ---- Memory-bound kernels over [kTokens, C]: arg {C}.
void BM_RmsNormForward(benchmark::State& state) {
  const int64_t C = state.range(0), n = kTokens * C;
  auto x = random_floats(n, 1), w = random_floats(C, 2);
  Buffer<float> out(static_cast<size_t>(n)), rstd(kTokens);
  for (auto _ : state) rmsnorm_forward(out.data(), rstd.data(), x.data(), w.data(), kTokens, C, 1e-5f);
  bytes_rate(state, 2 * n * 4);
}

void BM_RmsNormBackward(benchmark::State& state) {
  const int64_t C = state.range(0), n = kTokens * C;
  auto x = random_floats(n, 1), w = random_floats(C, 2), dout = random_floats(n, 3);
  Buffer<float> out(static_cast<size_t>(n)), rstd(kTokens), dx(static_cast<size_t>(n));
  Buffer<float> dw(static_cast<size_t>(C));
  rmsnorm_forward(out.data(), rstd.data(), x.data(), w.data(), kTokens, C, 1e-5f);
  for (auto _ : state)
    rmsnorm_backward(dx.data(), dw.data(), dout.data(), x.data(), w.data(), rstd.data(), kTokens, C);
  bytes_rate(state, 6 * n * 4);  // reads x, dout, dx; writes dx; reads x, dout again for dw
}

// Positions of 8 rows of 512 tokens and Llama's inverse frequencies for head dim 64.
struct RopeInputs {
  static constexpr int64_t kHeadDim = 64;
  std::vector<int> pos = std::vector<int>(kTokens);
  std::vector<float> inv_freq = std::vector<float>(kHeadDim / 2);
  RopeInputs() {
    for (int64_t t = 0; t < kTokens; ++t) pos[static_cast<size_t>(t)] = static_cast<int>(t % 512);
    for (int64_t i = 0; i < kHeadDim / 2; ++i)
      inv_freq[static_cast<size_t>(i)] = std::pow(10000.0f, -2.0f * float(i) / float(kHeadDim));
  }
};

// rope_forward or rope_backward (same signature, in place).
template <auto rope>
void BM_Rope(benchmark::State& state) {
  const int64_t C = state.range(0), n = kTokens * C;
  auto x = random_floats(n, 1);
  const RopeInputs r;
  for (auto _ : state) rope(x.data(), r.pos.data(), r.inv_freq.data(), kTokens, C / r.kHeadDim, r.kHeadDim);
  bytes_rate(state, 2 * n * 4);
}

void BM_SwiGluForward(benchmark::State& state) {
  const int64_t n = kTokens * state.range(0);
  auto g = random_floats(n, 1), u = random_floats(n, 2);
  Buffer<float> out(static_cast<size_t>(n));
  for (auto _ : state) swiglu_forward(out.data(), g.data(), u.data(), n);
  bytes_rate(state, 3 * n * 4);
}

void BM_SwiGluBackward(benchmark::State& state) {
  const int64_t n = kTokens * state.range(0);
  auto g = random_floats(n, 1), u = random_floats(n, 2), dout = random_floats(n, 3);
  Buffer<float> dg(static_cast<size_t>(n)), du(static_cast<size_t>(n));
  for (auto _ : state) swiglu_backward(dg.data(), du.data(), dout.data(), g.data(), u.data(), n);
  bytes_rate(state, 5 * n * 4);
}

// Cross-entropy over one LM-head chunk: arg {V}.
void BM_CrossEntropyForward(benchmark::State& state) {
  const int64_t V = state.range(0), N = loss_chunk_rows(V, kTokens);
  auto logits = random_floats(N * V, 1, 4.0f);
  std::vector<int> labels(static_cast<size_t>(N));
  std::iota(labels.begin(), labels.end(), 0);
  Buffer<float> losses(static_cast<size_t>(N)), lse(static_cast<size_t>(N));
  for (auto _ : state)
    cross_entropy_forward(losses.data(), lse.data(), logits.data(), labels.data(), N, V);
  bytes_rate(state, N * V * 4);
}

// The training path: loss and dlogits in place over a fresh copy of the chunk each iteration.
void BM_CrossEntropyForwardBackward(benchmark::State& state) {
  const int64_t V = state.range(0), N = loss_chunk_rows(V, kTokens);
  auto logits = random_floats(N * V, 1, 4.0f);
  std::vector<int> labels(static_cast<size_t>(N));
  std::iota(labels.begin(), labels.end(), 0);
  Buffer<float> losses(static_cast<size_t>(N)), work(logits.size());
  for (auto _ : state) {
    state.PauseTiming();
    std::copy(logits.begin(), logits.end(), work.begin());
    state.ResumeTiming();
    cross_entropy_forward_backward(losses.data(), work.data(), labels.data(), N, V, 1e-3f);
  }
  bytes_rate(state, 2 * N * V * 4);
}

// exp, the softmax/SiLU primitive, on one thread: libm's expf (a call per element) against
// vector_exp in exp_affine, over softmax-like arguments in [−20, 0].
void BM_ExpLibm(benchmark::State& state) {
  auto x = random_floats(state.range(0), 3, 10.0f);
  Buffer<float> y(x.size());
  for (auto _ : state)
    for (size_t i = 0; i < x.size(); ++i) y[i] = std::exp(x[i] - 10.0f);
  benchmark::DoNotOptimize(y.data());
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_ExpVector(benchmark::State& state) {
  auto x = random_floats(state.range(0), 3, 10.0f);
  Buffer<float> y(x.size());
  for (auto _ : state) exp_affine(y.data(), x.data(), state.range(0), 1.0f, -10.0f);
  benchmark::DoNotOptimize(y.data());
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// The bf16 side of the mixed-precision path: activations rounded for the GEMM, and back.
void BM_ConvertToBf16(benchmark::State& state) {
  const int64_t n = kTokens * state.range(0);
  auto x = random_floats(n, 1);
  Buffer<bf16> out(static_cast<size_t>(n));
  for (auto _ : state) convert_to_bf16(out.data(), x.data(), n);
  bytes_rate(state, 6 * n);
}

void BM_ConvertToF32(benchmark::State& state) {
  const int64_t n = kTokens * state.range(0);
  Buffer<bf16> x(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) x[static_cast<size_t>(i)] = f32_to_bf16(0.001f * float(i % 1000));
  Buffer<float> out(static_cast<size_t>(n));
  for (auto _ : state) convert_to_f32(out.data(), x.data(), n);
  bytes_rate(state, 6 * n);
}

// Hidden sizes (TinyLlama, SmolLM2) for the per-channel kernels, intermediate sizes for SwiGLU.
void hidden_sizes(benchmark::internal::Benchmark* b) {
  b->ArgName("C")->Arg(2048)->Arg(576)->Unit(benchmark::kMicrosecond)->UseRealTime();
}
void intermediate_sizes(benchmark::internal::Benchmark* b) {
  b->ArgName("C")->Arg(5632)->Arg(1536)->Unit(benchmark::kMicrosecond)->UseRealTime();
}
BENCHMARK(BM_RmsNormForward)->Apply(hidden_sizes);
BENCHMARK(BM_RmsNormBackward)->Apply(hidden_sizes);
BENCHMARK(BM_Rope<rope_forward>)->Name("BM_RopeForward")->Apply(hidden_sizes);
BENCHMARK(BM_Rope<rope_backward>)->Name("BM_RopeBackward")->Apply(hidden_sizes);
BENCHMARK(BM_SwiGluForward)->Apply(intermediate_sizes);
BENCHMARK(BM_SwiGluBackward)->Apply(intermediate_sizes);
BENCHMARK(BM_ConvertToBf16)->Apply(intermediate_sizes);
BENCHMARK(BM_ConvertToF32)->Apply(intermediate_sizes);
BENCHMARK(BM_CrossEntropyForward)->ArgName("V")->Arg(32000)->Arg(49152)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_CrossEntropyForwardBackward)->ArgName("V")->Arg(32000)->Arg(49152)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_ExpLibm)->ArgName("n")->Arg(1 << 16)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ExpVector)->ArgName("n")->Arg(1 << 16)->Unit(benchmark::kMicrosecond);

std::string load_average() {
  std::ifstream f("/proc/loadavg");
  std::string one, five, fifteen;
  f >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("cpu_path", describe(cpu_features()));
  benchmark::AddCustomContext("gemm", gemm_backend_summary());
  benchmark::AddCustomContext("load_average_at_start", load_average());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::printf("load average at end: %s\n", load_average().c_str());
  return 0;
}
