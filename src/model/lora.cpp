#include "model/lora.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/rng.h"

namespace ft {
namespace {

constexpr std::array<std::string_view, kLoraTargetCount> kNames = {
    "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};

std::string valid_names() {
  std::string out;
  for (std::string_view n : kNames) out += std::string(n) + ", ";
  return out + "all-linear";
}

void add_target(LoraTargets& targets, std::string_view name) {
  if (name == "all-linear") {
    targets.fill(true);
    return;
  }
  for (int i = 0; i < kLoraTargetCount; ++i) {
    const auto t = static_cast<LoraTarget>(i);
    const std::string qualified = std::string(lora_target_parent(t)) + "." + std::string(kNames[i]);
    if (name == kNames[static_cast<size_t>(i)] || name == qualified) {
      targets[static_cast<size_t>(i)] = true;
      return;
    }
  }
  fail_usage("--lora_target_modules: '" + std::string(name) +
             "' matches no module of the model; valid names: " + valid_names());
}

}  // namespace

std::pair<int64_t, int64_t> projection_shape(const ModelConfig& c, LoraTarget t) {
  const int64_t C = c.hidden_size, I = c.intermediate_size;
  const int64_t QD = int64_t{c.num_attention_heads} * c.head_dim;
  const int64_t KVD = int64_t{c.num_key_value_heads} * c.head_dim;
  switch (t) {
    case LoraTarget::kQ: return {C, QD};
    case LoraTarget::kK:
    case LoraTarget::kV: return {C, KVD};
    case LoraTarget::kO: return {QD, C};
    case LoraTarget::kGate:
    case LoraTarget::kUp: return {C, I};
    case LoraTarget::kDown: return {I, C};
  }
  return {0, 0};
}

std::string_view lora_target_name(LoraTarget t) { return kNames[static_cast<size_t>(t)]; }

std::string_view lora_target_parent(LoraTarget t) {
  return static_cast<int>(t) <= static_cast<int>(LoraTarget::kO) ? "self_attn" : "mlp";
}

LoraTargets parse_lora_targets(std::span<const std::string> names) {
  LoraTargets targets{};
  for (const std::string& spec : names) {
    size_t i = 0;
    while (i < spec.size()) {
      const size_t end = spec.find_first_of(", \t", i);
      const size_t stop = end == std::string::npos ? spec.size() : end;
      if (stop > i) add_target(targets, std::string_view(spec).substr(i, stop - i));
      i = stop + 1;
    }
  }
  return targets;
}

LoraTargets parse_lora_targets(std::string_view spec) {
  const std::string one(spec);
  return parse_lora_targets(std::span<const std::string>(&one, 1));
}

double LoraConfig::scaling() const {
  return use_rslora ? alpha / std::sqrt(static_cast<double>(rank)) : alpha / rank;
}

void LoraConfig::validate() const {
  if (rank < 1) fail_usage("--lora_rank must be at least 1 (got " + std::to_string(rank) + ")");
  if (!(alpha > 0.0)) fail_usage("--lora_alpha must be positive");
  if (!(dropout >= 0.0 && dropout < 1.0)) fail_usage("--lora_dropout must be in [0, 1)");
  if (std::none_of(targets.begin(), targets.end(), [](bool b) { return b; }))
    fail_usage("--lora_target_modules: no modules given; valid names: " + valid_names());
}

LoraWeights::LoraWeights(const ModelConfig& model, const LoraConfig& config) : config_(config) {
  config_.validate();
  const int64_t r = config_.rank;
  int64_t total = 0;
  for (int l = 0; l < model.num_hidden_layers; ++l)
    for (int i = 0; i < kLoraTargetCount; ++i)
      if (config_.targets[static_cast<size_t>(i)]) {
        const auto [in, out] = projection_shape(model, static_cast<LoraTarget>(i));
        total += r * (in + out);
      }
  values_ = Buffer<float>(static_cast<size_t>(total));
  grads_ = Buffer<float>(static_cast<size_t>(total));
  layers_.resize(static_cast<size_t>(model.num_hidden_layers));
  int64_t offset = 0;
  for (int l = 0; l < model.num_hidden_layers; ++l) {
    layer_offsets_.push_back(offset);
    for (int i = 0; i < kLoraTargetCount; ++i) {
      if (!config_.targets[static_cast<size_t>(i)]) continue;
      const auto t = static_cast<LoraTarget>(i);
      const auto [in, out] = projection_shape(model, t);
      LoraModule& m = layers_[static_cast<size_t>(l)][static_cast<size_t>(i)];
      m = {.A = values_.data() + offset, .B = values_.data() + offset + r * in,
           .dA = grads_.data() + offset, .dB = grads_.data() + offset + r * in,
           .in = in, .out = out};
      offset += r * (in + out);
      const std::string prefix = "base_model.model.model.layers." + std::to_string(l) + "." +
                                 std::string(lora_target_parent(t)) + "." +
                                 std::string(lora_target_name(t)) + ".";
      tensors_.push_back({prefix + "lora_A.weight", {r, in}, m.A, m.dA});
      tensors_.push_back({prefix + "lora_B.weight", {out, r}, m.B, m.dB});
    }
  }
  layer_offsets_.push_back(offset);
  std::fill(values_.begin(), values_.end(), 0.0f);
  zero_grads();
}

void LoraWeights::init(uint64_t seed) {
  const Rng rng(seed, RngStream::kLoraInit);
  for (const LoraTensor& t : tensors_) {
    const int64_t n = t.shape[0] * t.shape[1];
    if (t.name.ends_with("lora_B.weight")) {
      std::fill(t.value, t.value + n, 0.0f);
      continue;
    }
    const auto bound = static_cast<float>(1.0 / std::sqrt(static_cast<double>(t.shape[1])));
    const auto base = static_cast<uint64_t>(t.value - values_.data());
    for (int64_t i = 0; i < n; ++i)
      t.value[i] = bound * (2.0f * rng.uniform(base + static_cast<uint64_t>(i)) - 1.0f);
  }
  zero_grads();
}

void LoraWeights::zero_grads() { std::fill(grads_.begin(), grads_.end(), 0.0f); }

}  // namespace ft
