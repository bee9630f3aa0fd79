// GFLOP/s of every GEMM engine on the model's own shapes, in one run: forward y = x·Wᵀ, input
// gradient dx = dy·W and weight gradient dW += dyᵀ·x for TinyLlama-1.1B, Llama-2-7B and
// SmolLM2-135M (every distinct projection, the LM head's loss chunk, LoRA's rank-8 factors), fp32
// and bf16, plus the packed-weight forward (oneDNN's preferred layout, or on
// AVX2 a bf16 weight widened once). Prints the CPU path, libraries, load average and which engine
// gemm() picks for each shape (the rule in src/kernels/gemm_select.cpp).
//
//   bench_gemm_engines [--tokens 4096] [--model tinyllama|llama7b|smollm] [--dtype f32|bf16]
//                      [--min-seconds 0.5] [--paired ROUNDS] [--proj PREFIX] [--head-rows N] [--csv]
// --paired R times every engine once per round, R rounds, and prints the median: on a shared
// machine the engines of a row then see the same load, so their ratio is the number to trust.
// --proj lm_head keeps only the projections whose name starts with it; --head-rows sets the LM
// head's rows (default: the model's loss chunk, loss_chunk_rows).
// --tokens 256 gives a smoke run in seconds; the full default run takes ~15 minutes on 2 cores.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/buffer.h"
#include "core/cpu_features.h"
#include "core/half.h"
#include "kernels/gemm.h"
#include "model/activations.h"

namespace {

using namespace ft;

struct ModelShape {
  const char* name;
  int64_t hidden, intermediate, q_dim, kv_dim, vocab;
};
constexpr ModelShape kModels[] = {
    {"tinyllama", 2048, 5632, 2048, 256, 32000},
    {"llama7b", 4096, 11008, 4096, 4096, 32000},
    {"smollm", 576, 1536, 576, 192, 49152},
};

constexpr int64_t kLoraRank = 8;

struct Projection {
  const char* name;
  int64_t in, out, rows;
  bool fp32_only = false;  // LoRA's factors are fp32 whatever the model's dtype
};

// Distinct (in, out) pairs of one model; o_proj repeats q_proj's and up repeats gate's.
std::vector<Projection> projections(const ModelShape& m, int64_t tokens, int64_t head_rows) {
  if (head_rows == 0) head_rows = loss_chunk_rows(m.vocab, tokens);
  std::vector<Projection> p{{"q/o", m.hidden, m.q_dim, tokens},
                            {"gate/up", m.hidden, m.intermediate, tokens},
                            {"down", m.intermediate, m.hidden, tokens},
                            {"lm_head", m.hidden, m.vocab, head_rows}};
  if (m.kv_dim != m.q_dim) p.insert(p.begin() + 1, {"k/v", m.hidden, m.kv_dim, tokens});
  // LoRA's rank-8 factors on q and v: A is [r, in], B is [out, r].
  p.push_back({"lora_A", m.hidden, kLoraRank, tokens, true});
  p.push_back({"lora_B/q", kLoraRank, m.q_dim, tokens, true});
  if (m.kv_dim != m.q_dim) p.push_back({"lora_B/v", kLoraRank, m.kv_dim, tokens, true});
  return p;
}

enum class Op { kForward, kInputGrad, kWeightGrad };
const char* op_name(Op op) {
  return op == Op::kForward ? "fwd" : op == Op::kInputGrad ? "dx" : "dW";
}

GemmShape shape_of(const Projection& p, Op op, DType dt) {
  switch (op) {
    case Op::kForward: return {.M = p.rows, .N = p.out, .K = p.in, .a = dt, .b = dt};
    case Op::kInputGrad:
      return {.M = p.rows, .N = p.in, .K = p.out, .a = dt, .b = dt, .b_transposed = false};
    case Op::kWeightGrad:
      return {.M = p.out, .N = p.in, .K = p.rows, .a = dt, .b = dt, .a_transposed = true,
              .b_transposed = false, .accumulate = true};
  }
  return {};
}

// Random operands, reused across engines so every engine sees the same data.
struct Operands {
  Buffer<float> a, b, c;
  Operands(const GemmShape& s)
      : a(static_cast<size_t>(s.M * s.K)), b(static_cast<size_t>(s.K * s.N)),
        c(static_cast<size_t>(s.M * s.N)) {
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    fill(a, s.a, rng, u);
    fill(b, s.b, rng, u);
    std::fill(c.begin(), c.end(), 0.0f);
  }
  static void fill(Buffer<float>& buf, DType dt, std::mt19937& rng,
                   std::uniform_real_distribution<float>& u) {
    if (dt == DType::F32) {
      for (auto& x : buf) x = u(rng);
      return;
    }
    auto* h = reinterpret_cast<bf16*>(buf.data());  // bf16 values in the first half
    for (size_t i = 0; i < buf.size(); ++i) h[i] = f32_to_bf16(u(rng));
  }
};

// Best seconds per call over repeats lasting at least min_seconds (one warm-up call first).
double time_call(const std::function<void()>& call, double min_seconds) {
  using clock = std::chrono::steady_clock;
  call();
  double best = 1e30, total = 0;
  int reps = 0;
  while (total < min_seconds || reps < 1) {
    const auto t0 = clock::now();
    call();
    const double dt = std::chrono::duration<double>(clock::now() - t0).count();
    best = std::min(best, dt);
    total += dt;
    ++reps;
  }
  return best;
}

// Best seconds per call of each column, timed one column after another (0 for an empty call).
std::vector<double> time_each(const std::vector<std::function<void()>>& calls, double min_seconds) {
  std::vector<double> out;
  for (const auto& call : calls) out.push_back(call ? time_call(call, min_seconds) : 0.0);
  return out;
}

// Median seconds per call over `rounds` rounds that call every column once in turn, so slow
// phases of a shared machine fall on all columns alike and their ratios hold.
std::vector<double> time_paired(const std::vector<std::function<void()>>& calls, int rounds) {
  using clock = std::chrono::steady_clock;
  std::vector<std::vector<double>> t(calls.size());
  for (const auto& call : calls)
    if (call) call();
  for (int r = 0; r < rounds; ++r)
    for (size_t i = 0; i < calls.size(); ++i) {
      if (!calls[i]) continue;
      const auto t0 = clock::now();
      calls[i]();
      t[i].push_back(std::chrono::duration<double>(clock::now() - t0).count());
    }
  std::vector<double> out;
  for (auto& v : t) {
    std::sort(v.begin(), v.end());
    out.push_back(v.empty() ? 0.0 : v[v.size() / 2]);
  }
  return out;
}

std::string load_average() {
  std::ifstream f("/proc/loadavg");
  std::string one, five, fifteen;
  f >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

struct Args {
  int64_t tokens = 4096;
  int64_t head_rows = 0;  // 0: the model's loss_chunk_rows
  std::string proj;       // only projections whose name starts with this
  std::string model, dtype;
  double min_seconds = 0.5;
  int paired = 0;  // > 0: median of this many interleaved rounds instead of best of repeats
  bool csv = false;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    const bool has_value = i + 1 < argc;
    if (flag == "--tokens" && has_value) a.tokens = std::atoll(argv[++i]);
    else if (flag == "--head-rows" && has_value) a.head_rows = std::atoll(argv[++i]);
    else if (flag == "--proj" && has_value) a.proj = argv[++i];
    else if (flag == "--model" && has_value) a.model = argv[++i];
    else if (flag == "--dtype" && has_value) a.dtype = argv[++i];
    else if (flag == "--min-seconds" && has_value) a.min_seconds = std::atof(argv[++i]);
    else if (flag == "--paired" && has_value) a.paired = std::atoi(argv[++i]);
    else if (flag == "--csv") a.csv = true;
    else {
      std::fprintf(stderr, "bench_gemm_engines: unknown flag %s (see the header of "
                   "bench/gemm_engines.cpp)\n", flag.c_str());
      std::exit(2);
    }
  }
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  std::printf("cpu: %s\n", describe(cpu_features()).c_str());
  std::printf("gemm: %s\n", gemm_backend_summary().c_str());
  std::printf("threads: %d (OMP_NUM_THREADS=%s, OMP_WAIT_POLICY=%s)\n", omp_get_max_threads(),
              std::getenv("OMP_NUM_THREADS") ? std::getenv("OMP_NUM_THREADS") : "unset",
              std::getenv("OMP_WAIT_POLICY") ? std::getenv("OMP_WAIT_POLICY") : "unset");
  std::printf("load average at start: %s\n", load_average().c_str());
  std::printf(args.paired > 0 ? "GFLOP/s, median of %d interleaved rounds" : "GFLOP/s, best of repeats", args.paired);
  std::printf("; '-' = engine cannot run the shape here; packed = forward "
              "with the weight packed once (PackedWeight) on the named engine\n\n");

  std::vector<std::string> columns;
  for (GemmEngine e : kAllGemmEngines) columns.emplace_back(gemm_engine_name(e));
  for (GemmEngine e : kAllGemmEngines) columns.push_back(std::string(gemm_engine_name(e)) + "+packed");
  std::printf(args.csv ? "model,proj,op,dtype,M,N,K" : "%-9s %-8s %-3s %-4s %6s %6s %6s",
              "model", "proj", "op", "type", "M", "N", "K");
  for (const auto& c : columns) std::printf(args.csv ? ",%s" : " %14s", c.c_str());
  std::printf(args.csv ? ",rule\n" : "  rule\n");

  for (const ModelShape& m : kModels) {
    if (!args.model.empty() && args.model != m.name) continue;
    for (DType dt : {DType::F32, DType::BF16}) {
      if (!args.dtype.empty() && args.dtype != (dt == DType::F32 ? "f32" : "bf16")) continue;
      for (const Projection& p : projections(m, args.tokens, args.head_rows)) {
        if ((p.fp32_only && dt != DType::F32) || !std::string_view(p.name).starts_with(args.proj))
          continue;
        for (Op op : {Op::kForward, Op::kInputGrad, Op::kWeightGrad}) {
          const GemmShape s = shape_of(p, op, dt);
          Operands x(s);
          const double flop = 2.0 * double(s.M) * double(s.N) * double(s.K);
          std::printf(args.csv ? "%s,%s,%s,%s,%lld,%lld,%lld" : "%-9s %-8s %-3s %-4s %6lld %6lld %6lld",
                      m.name, p.name, op_name(op), dt == DType::F32 ? "f32" : "bf16",
                      static_cast<long long>(s.M), static_cast<long long>(s.N),
                      static_cast<long long>(s.K));
          // One call per column (empty where the engine cannot run the shape).
          std::vector<std::unique_ptr<PackedWeight>> packed;
          std::vector<std::function<void()>> calls;
          for (GemmEngine e : kAllGemmEngines) {
            if (!gemm_engine_available(e, s)) { calls.emplace_back(); continue; }
            calls.emplace_back([&, e] { gemm_on(e, s, x.a.data(), x.b.data(), nullptr, x.c.data()); });
          }
          for (GemmEngine e : kAllGemmEngines) {
            if (op != Op::kForward || !gemm_engine_available(e, s)) { calls.emplace_back(); continue; }
            const PackedWeight* w = packed.emplace_back(std::make_unique<PackedWeight>(s, x.b.data(), e)).get();
            calls.emplace_back([&, w] { gemm_packed(s, x.a.data(), *w, nullptr, x.c.data()); });
          }
          const std::vector<double> seconds = args.paired > 0 ? time_paired(calls, args.paired)
                                                              : time_each(calls, args.min_seconds);
          for (double t : seconds) {
            if (t <= 0) std::printf(args.csv ? ",-" : " %14s", "-");
            else std::printf(args.csv ? ",%.1f" : " %14.1f", flop / t * 1e-9);
          }
          std::printf(args.csv ? ",%s\n" : "  %s\n", std::string(gemm_engine_name(gemm_engine_for(s))).c_str());
          std::fflush(stdout);
        }
      }
    }
  }
  std::printf("\nload average at end: %s\n", load_average().c_str());
  return 0;
}
