// End-to-end LoRA training-step benchmark of our engine on random-weight models of fixed shapes.
//   bench_train_step [--only w1,w2] [--lora qv,all] [--dtype bf16,fp32] [--batch 8] [--seq 512]
//                    [--steps N] [--warmup N] [--prompt PCT] [--quick] [--no-roofline] [--no-train]
// --prompt PCT masks the first PCT% of every sequence's labels (-100), as instruction data masks its
// prompts (36-61% of the tokens of ../shared/data's medical sets are trained): tokens/s still
// counts every token; FLOPs/token count the LM head on the trained rows only.
// Workloads: tinyllama2 (TinyLlama-1.1B cut to 2 layers), llama7b2 (Llama-2-7B cut to 2 layers),
// smollm2 (SmolLM2-135M, 30 layers, tied embeddings), tiny (--quick: a toy shape, 1 step).
// Each (workload, lora, dtype) runs in its own forked child, so its peak RSS (ru_maxrss) is its
// own: warm-up steps, then timed optimizer steps (StepRunner: forward_backward, clipping, AdamW).
// The roofline child times ft::gemm on the workload's forward and input-gradient shapes (M = B·T)
// and reports the best GFLOP/s; model FLOPs utilisation = FLOPs/token × tokens/s ÷ that.
// Every result is one JSON line on stdout ("kind": machine, train, gemm, roofline) after a human
// line on stderr, for bench/run_training_bench.sh and tools/bench_report.py.
#include <omp.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/compute_peak.h"
#include "core/cpu_features.h"
#include "core/error.h"
#include "core/half.h"
#include "core/rng.h"
#include "kernels/cross_entropy.h"
#include "kernels/gemm.h"
#include "model/config.h"
#include "model/lora.h"
#include "model/model.h"
#include "model/model_flops.h"
#include "model/weights_init.h"
#include "train/step_benchmark.h"
#include "train/train_step.h"

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

struct Shape {
  int hidden, intermediate, layers, heads, kv_heads, vocab;
  bool tied;
};

const std::map<std::string, Shape>& workloads() {
  static const std::map<std::string, Shape> all = {
      {"tinyllama2", {2048, 5632, 2, 32, 4, 32000, false}},
      {"llama7b2", {4096, 11008, 2, 32, 32, 32000, false}},
      {"smollm2", {576, 1536, 30, 9, 3, 49152, true}},
      {"tiny", {64, 160, 2, 4, 2, 256, false}},
  };
  return all;
}

struct Options {
  std::vector<std::string> only = {"tinyllama2", "llama7b2", "smollm2"};
  std::vector<std::string> lora = {"qv", "all"};
  std::vector<std::string> dtypes = {"bf16", "fp32"};
  int64_t batch = 8, seq = 512;
  int steps = 2, warmup = 1;
  int64_t prompt_pct = 0;
  bool roofline = true, train = true;
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t end = std::min(s.find(',', start), s.size());
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) ft::fail_usage(flag + " needs a value");
      return argv[++i];
    };
    auto number = [&]() {
      const std::string v = value();
      char* end = nullptr;
      const long n = std::strtol(v.c_str(), &end, 10);
      if (*end || n < 0) ft::fail_usage(flag + " " + v + ": give a non-negative integer");
      return n;
    };
    if (flag == "--only") o.only = split(value());
    else if (flag == "--lora") o.lora = split(value());
    else if (flag == "--dtype") o.dtypes = split(value());
    else if (flag == "--batch") o.batch = number();
    else if (flag == "--seq") o.seq = number();
    else if (flag == "--steps") o.steps = static_cast<int>(number());
    else if (flag == "--warmup") o.warmup = static_cast<int>(number());
    else if (flag == "--prompt") o.prompt_pct = number();
    else if (flag == "--no-roofline") o.roofline = false;
    else if (flag == "--no-train") o.train = false;
    else if (flag == "--quick") { o.only = {"tiny"}; o.batch = 2; o.seq = 32; o.steps = 1; o.warmup = 0; }
    else ft::fail_usage("unknown flag " + flag + " (see the header of bench/train_step.cpp)");
  }
  for (const auto& w : o.only)
    if (!workloads().count(w)) ft::fail_usage("--only " + w + ": use tinyllama2, llama7b2, smollm2 or tiny");
  for (const auto& l : o.lora)
    if (l != "qv" && l != "all") ft::fail_usage("--lora " + l + ": use qv or all");
  for (const auto& d : o.dtypes)
    if (d != "bf16" && d != "fp32") ft::fail_usage("--dtype " + d + ": use bf16 or fp32");
  if (o.batch < 1 || o.seq < 2 || o.steps < 1) ft::fail_usage("--batch >= 1, --seq >= 2, --steps >= 1");
  if (o.prompt_pct > 99) ft::fail_usage("--prompt " + std::to_string(o.prompt_pct) + ": give 0 to 99 (%)");
  return o;
}

ft::ModelConfig model_config(const Shape& s, int64_t seq) {
  const json j = {{"architectures", {"LlamaForCausalLM"}}, {"model_type", "llama"},
                  {"hidden_size", s.hidden}, {"intermediate_size", s.intermediate},
                  {"num_hidden_layers", s.layers}, {"num_attention_heads", s.heads},
                  {"num_key_value_heads", s.kv_heads}, {"vocab_size", s.vocab},
                  {"max_position_embeddings", std::max<int64_t>(seq, 2048)},
                  {"rms_norm_eps", 1e-5}, {"rope_theta", 10000.0},
                  {"tie_word_embeddings", s.tied}, {"torch_dtype", "bfloat16"}};
  return ft::parse_model_config(j.dump(), "bench/config.json");
}

json peak_json(const ft::ComputePeak& p) { return {{"isa", p.isa}, {"gflops", p.gflops}}; }

double load_average() {
  double load = -1;
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &load) != 1) load = -1;
    std::fclose(f);
  }
  return load;
}

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // kB on Linux
}

json train_workload(const std::string& name, const std::string& lora_set, const std::string& dt,
                    const Options& o) {
  const ft::ModelConfig config = model_config(workloads().at(name), o.seq);
  const ft::DType dtype = dt == "bf16" ? ft::DType::BF16 : ft::DType::F32;
  ft::Model model(config, ft::benchmark_weights(config, dtype));
  const ft::LoraConfig lc{.rank = 8, .alpha = 16.0, .dropout = 0.0,
                          .targets = ft::parse_lora_targets(lora_set == "qv" ? "q_proj,v_proj" : "all-linear")};
  ft::LoraWeights lora(config, lc);
  lora.init(1);
  model.attach_lora(&lora);
  const int64_t prompt = o.seq * o.prompt_pct / 100;
  const ft::RandomBatch batch(config.vocab_size, o.batch, o.seq, prompt, 3);
  ft::StepRunner runner(model, lora.values(), lora.grads(),
                        {.learning_rate = 1e-4, .total_steps = o.warmup + o.steps, .adamw = {}});
  const ft::StepTimes t = ft::time_steps(runner, batch.micro_batch(), o.warmup, o.steps,
                                         [&](int step, double sec, double loss, bool warmup) {
    std::fprintf(stderr, "  %s %s %s step %d: %.2f s, loss %.4f%s\n", name.c_str(), lora_set.c_str(),
                 dt.c_str(), step, sec, loss, warmup ? " (warm-up)" : "");
  });
  const double median = t.median, loss = t.loss;
  const double tokens = double(o.batch * o.seq);
  return {{"kind", "train"}, {"engine", "ours"}, {"workload", name}, {"lora", lora_set},
          {"dtype", dt}, {"batch", o.batch}, {"seq", o.seq}, {"steps", o.steps},
          {"warmup", o.warmup}, {"step_s", median}, {"tokens_per_s", tokens / median},
          {"prompt_pct", o.prompt_pct}, {"peak_rss_mib", peak_rss_mib()},
          {"flops_per_token", ft::training_flops_per_token(config, &lc, o.seq, double(o.seq - prompt) / double(o.seq))},
          {"loss", loss}, {"load1", load_average()}};
}

// Median seconds of `reps` calls after one warm-up call.
double time_gemm(const ft::GemmShape& s, const void* a, const void* b, float* c, int reps) {
  ft::gemm(s, a, b, nullptr, c);
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    const auto start = Clock::now();
    ft::gemm(s, a, b, nullptr, c);
    t.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

std::vector<json> roofline(const std::string& name, const std::string& dt, const Options& o) {
  const ft::ModelConfig c = model_config(workloads().at(name), o.seq);
  const ft::DType dtype = dt == "bf16" ? ft::DType::BF16 : ft::DType::F32;
  const int64_t M = o.batch * o.seq, C = c.hidden_size, I = c.intermediate_size;
  const int64_t QD = int64_t{c.num_attention_heads} * c.head_dim;
  const int64_t KVD = int64_t{c.num_key_value_heads} * c.head_dim;
  const struct { const char* what; int64_t in, out; } weights[] = {
      {"q/o", C, QD}, {"k/v", C, KVD}, {"gate/up", C, I}, {"down", I, C}, {"lm_head", C, c.vocab_size}};
  int64_t most = 0;
  for (const auto& w : weights) most = std::max({most, M * w.in, M * w.out, w.in * w.out});
  const size_t elem = dtype == ft::DType::BF16 ? 2 : 4;
  std::vector<char> a(size_t(most) * elem), b(size_t(most) * elem);
  for (size_t i = 0; i < a.size(); i += elem) {  // small finite values in either dtype
    const ft::bf16 x = ft::f32_to_bf16(0.01f * float(i % 97));
    std::memcpy(&a[i + elem - 2], &x, 2);
    std::memcpy(&b[i + elem - 2], &x, 2);
  }
  std::vector<float> out(static_cast<size_t>(most));
  std::vector<json> rows;
  double best = 0;
  for (const auto& w : weights) {
    for (bool forward : {true, false}) {
      const ft::GemmShape s{.M = M, .N = forward ? w.out : w.in, .K = forward ? w.in : w.out,
                            .a = dtype, .b = dtype, .c = ft::DType::F32, .a_transposed = false,
                            .b_transposed = forward, .bias = false, .accumulate = false};
      const double sec = time_gemm(s, a.data(), b.data(), out.data(), o.steps > 1 ? 3 : 1);
      const double gflops = 2.0 * double(s.M) * double(s.N) * double(s.K) / sec / 1e9;
      best = std::max(best, gflops);
      std::fprintf(stderr, "  gemm %s %s %-8s M=%lld N=%lld K=%lld: %.1f GFLOP/s\n", name.c_str(),
                   dt.c_str(), forward ? "forward" : "dinput", (long long)s.M, (long long)s.N,
                   (long long)s.K, gflops);
      rows.push_back({{"kind", "gemm"}, {"workload", name}, {"dtype", dt}, {"weight", w.what},
                      {"pass", forward ? "forward" : "input_grad"}, {"M", s.M}, {"N", s.N},
                      {"K", s.K}, {"gflops", gflops}});
    }
  }
  rows.push_back({{"kind", "roofline"}, {"workload", name}, {"dtype", dt}, {"best_gflops", best},
                  {"load1", load_average()}});
  return rows;
}

// Runs `work` in a forked child that prints its JSON lines; false when the child failed.
bool in_child(const std::function<std::vector<json>()>& work) {
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid < 0) ft::fail_usage("fork failed");
  if (pid == 0) {
    int code = 0;
    try {
      for (const json& line : work()) std::printf("%s\n", line.dump().c_str());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "bench_train_step: %s\n", e.what());
      code = 1;
    }
    std::fflush(stdout);
    std::fflush(stderr);
    _exit(code);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) std::fprintf(stderr, "bench_train_step: child killed by signal %d\n", WTERMSIG(status));
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

const char* env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v ? v : fallback;
}

// One "machine" JSON line (the report keeps the best FMA peak of all of them) and a human line.
void print_machine(const char* when) {
  // Issue #9's physical limit: the fp32 FMA peak, and AMX's bf16 tile peak where the CPU has it.
  const ft::ComputePeak fma = ft::fma_peak(omp_get_max_threads());
  const ft::ComputePeak amx = ft::amx_bf16_peak(omp_get_max_threads());
  json machine = {{"kind", "machine"}, {"engine", "ours"},
                  {"cpu", ft::describe(ft::cpu_features())},
                  {"native_bf16", ft::gemm_native_bf16()},
                  {"gemm", ft::gemm_backend_summary()},
                  {"threads", omp_get_max_threads()},
                  {"OMP_NUM_THREADS", env_or("OMP_NUM_THREADS", "")},
                  {"OMP_WAIT_POLICY", env_or("OMP_WAIT_POLICY", "")},
                  {"fma_peak", peak_json(fma)},
                  {"load1", load_average()}};
  if (amx.gflops > 0) machine["amx_peak"] = peak_json(amx);
  std::printf("%s\n", machine.dump().c_str());
  const std::string amx_text = amx.gflops > 0 ? ", AMX bf16 peak " + std::to_string(int(amx.gflops)) + " GFLOP/s" : "";
  std::fprintf(stderr, "ours (%s): %s, GEMM: %s, %d threads, OMP_WAIT_POLICY=%s, fp32 FMA "
               "peak %.1f GFLOP/s (%s)%s, load %.2f\n", when,
               machine["cpu"].get<std::string>().c_str(), ft::gemm_backend_summary().c_str(),
               omp_get_max_threads(), env_or("OMP_WAIT_POLICY", "(unset)"), fma.gflops, fma.isa.c_str(),
               amx_text.c_str(), load_average());
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Options o = parse(argc, argv);
    print_machine("start");
    bool ok = true;
    for (const std::string& w : o.only)
      for (const std::string& dt : o.dtypes) {
        if (o.roofline) ok &= in_child([&] { return roofline(w, dt, o); });
        if (!o.train) continue;
        for (const std::string& l : o.lora)
          ok &= in_child([&] { return std::vector<json>{train_workload(w, l, dt, o)}; });
      }
    // The peak again: a reading taken while the host is slow makes every target too easy, and
    // bench_report.py keeps the best of all readings.
    print_machine("end");
    return ok ? 0 : 1;
  } catch (const ft::Error& e) {
    std::fprintf(stderr, "bench_train_step: %s\n", e.what());
    return e.exit_code();
  }
}
