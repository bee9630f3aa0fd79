// `finetune inspect DIR|ORG/NAME`: what a model directory (or a Hub model, fetched into the HF
// cache) holds (architecture, shapes, parameter count, stored dtypes) and the memory a LoRA and
// a full fine-tune of it would need.
#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "core/cpu_features.h"
#include "core/error.h"
#include "formats/safetensors.h"
#include "hub/hub.h"
#include "kernels/gemm.h"
#include "model/config.h"
#include "model/memory_estimate.h"

namespace ft::cli {
namespace {

std::string gib(int64_t bytes) {
  char buf[32];
  if (bytes >= (int64_t{1} << 30)) std::snprintf(buf, sizeof buf, "%.2f GiB", bytes / 1073741824.0);
  else std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / 1048576.0);
  return buf;
}

void print_estimate(const char* title, const MemoryEstimate& e) {
  std::printf("%s: %s\n", title, gib(e.total()).c_str());
  std::printf("  weights %s, trainable params %lld, grads+optimizer %s, activations %s\n",
              gib(e.weights).c_str(), static_cast<long long>(e.trainable), gib(e.optimizer).c_str(),
              gib(e.activations).c_str());
}

void run_inspect(const std::string& name_or_path) {
  const std::string dir = hub::resolve_model(name_or_path);
  const ModelConfig c = load_model_config(dir + "/config.json");
  const WeightStore store = WeightStore::open_dir(dir);

  std::map<std::string, std::pair<int, long long>> by_dtype;  // dtype -> tensors, elements
  long long stored = 0;
  for (const auto& name : store.names()) {
    const TensorView& t = store.require(name);
    auto& slot = by_dtype[std::string(dtype_name(t.dtype))];
    ++slot.first;
    slot.second += t.numel();
    stored += t.numel();
  }
  std::printf("model: %s\n", dir.c_str());
  std::printf("architecture: %s (model_type %s)\n", c.architecture.c_str(), c.model_type.c_str());
  std::printf("layers %d, hidden %d, intermediate %d, heads %d, kv heads %d, head_dim %d, vocab %d, "
              "context %d\n",
              c.num_hidden_layers, c.hidden_size, c.intermediate_size, c.num_attention_heads,
              c.num_key_value_heads, c.head_dim, c.vocab_size, c.max_position_embeddings);
  std::printf("rope_theta %g%s, rms_norm_eps %g, tied embeddings %s, attention bias %s\n",
              c.rope_theta, c.rope_scaling.type.empty() ? "" : (" (" + c.rope_scaling.type + " scaling)").c_str(),
              c.rms_norm_eps, c.tie_word_embeddings ? "yes" : "no", c.attention_bias ? "yes" : "no");
  std::printf("parameters: %lld (from config), %lld stored\n", c.parameter_count(), stored);
  std::printf("stored dtypes:");
  for (const auto& [dtype, count] : by_dtype)
    std::printf(" %s (%d tensors, %lld elements)", dtype.c_str(), count.first, count.second);
  std::printf("\ncpu: %s; bf16 GEMM %s\n", describe(cpu_features()).c_str(),
              gemm_native_bf16() ? "native (oneDNN)" : "via fp32 GEMM on widened bf16 (no AVX-512 bf16/AMX)");

  const int64_t T = std::min(c.max_position_embeddings > 0 ? c.max_position_embeddings : 512, 512);
  std::printf("\nmemory estimates for batch 1 x %lld tokens:\n", static_cast<long long>(T));
  print_estimate("LoRA r=8 on q_proj,v_proj, bf16 base weights",
                 estimate_lora(c, 8, {"q_proj", "v_proj"}, 1, T));
  print_estimate("full fine-tune, fp32 master weights + AdamW", estimate_full(c, 1, T));
  std::printf("(weights and optimizer state counted exactly: LoRA adapters and full weights keep fp32\n"
              " value, grad, AdamW m and v = 16 bytes/param; activations are the planned arena with\n"
              " every layer kept for backward plus one layer of gradient scratch; excludes the\n"
              " process's code and allocator overhead.)\n");
}

}  // namespace

void add_inspect_command(CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("inspect", "Describe a model directory and its fine-tuning memory");
  cmd->add_option("model_dir", *dir, "Hugging Face model directory or Hub id (org/name)")->required();
  cmd->callback([dir] { run_inspect(*dir); });
}

}  // namespace ft::cli
