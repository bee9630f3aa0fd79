// A plain double-precision Llama forward + loss, written for readability, as the reference the
// engine's fp32 training path is checked against (tests/train_model_fd64_test.cpp): embedding,
// RMSNorm, RoPE (rotate-half, HF layout), causal grouped-query attention restricted to each
// packed document (a padding query, segment −1, sees only itself), SwiGLU MLP, LM head and mean
// cross-entropy over targets ≠ −100. LoRA adds scaling·(x·Aᵀ)·Bᵀ after each adapted projection.
// Parameters live in named double vectors so a test can perturb any single entry.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/model.h"

namespace ft::test {

class ReferenceLlama64 {
 public:
  // Copies an fp32 model's weights (and the adapters, when given) into doubles.
  ReferenceLlama64(Model& model, const LoraWeights* lora) : c_(model.config()) {
    for (const WeightSpec& s : weight_specs(c_)) {
      int64_t n = 1;
      for (int64_t d : s.shape) n *= d;
      const auto* p = static_cast<const float*>(weight_pointer(model.weights(), c_, s));
      params_[s.name].assign(p, p + n);
    }
    if (lora) {
      scaling_ = lora->config().scaling();
      rank_ = lora->config().rank;
      for (const LoraTensor& t : lora->tensors())
        params_[t.name].assign(t.value, t.value + t.shape[0] * t.shape[1]);
    }
    for (float f : c_.rope_inv_freq()) inv_freq_.push_back(f);
  }

  std::vector<double>& param(const std::string& name) { return params_.at(name); }

  // Mean loss over counted targets; ids/targets/positions/segments are [B,T] as for Model.
  double loss(const std::vector<int>& ids, const std::vector<int>& targets,
              const std::vector<int>& positions, const std::vector<int>& segments, int64_t B,
              int64_t T) const {
    const int64_t C = c_.hidden_size, V = c_.vocab_size;
    double sum = 0;
    int64_t counted = 0;
    for (int64_t b = 0; b < B; ++b) {
      const auto row = [&](const std::vector<int>& v) {
        return std::vector<int>(v.begin() + b * T, v.begin() + (b + 1) * T);
      };
      Matrix x(T, C);
      const std::vector<int> row_ids = row(ids);
      const std::vector<double>& embed = params_.at("model.embed_tokens.weight");
      for (int64_t t = 0; t < T; ++t)
        std::copy_n(embed.begin() + row_ids[size_t(t)] * C, C, x.row(t));
      for (int l = 0; l < c_.num_hidden_layers; ++l) layer(l, x, row(positions), row(segments));
      const char* head = c_.tie_word_embeddings ? "model.embed_tokens.weight" : "lm_head.weight";
      const Matrix logits = linear(rmsnorm(x, params_.at("model.norm.weight")), head, V);
      const std::vector<int> row_targets = row(targets);
      for (int64_t t = 0; t < T; ++t) {
        const int target = row_targets[size_t(t)];
        if (target == -100) continue;
        const double* z = logits.row(t);
        const double top = *std::max_element(z, z + V);
        double e = 0;
        for (int64_t v = 0; v < V; ++v) e += std::exp(z[v] - top);
        sum += top + std::log(e) - z[target];
        ++counted;
      }
    }
    return counted ? sum / double(counted) : 0.0;
  }

 private:
  struct Matrix {
    int64_t rows, cols;
    std::vector<double> v;
    Matrix(int64_t r, int64_t c) : rows(r), cols(c), v(size_t(r * c), 0.0) {}
    double* row(int64_t r) { return v.data() + r * cols; }
    const double* row(int64_t r) const { return v.data() + r * cols; }
  };

  std::string layer_name(int l, const char* rest) const {
    return "model.layers." + std::to_string(l) + "." + rest;
  }

  Matrix rmsnorm(const Matrix& x, const std::vector<double>& w) const {
    Matrix y(x.rows, x.cols);
    for (int64_t r = 0; r < x.rows; ++r) {
      double ms = 0;
      for (int64_t i = 0; i < x.cols; ++i) ms += x.row(r)[i] * x.row(r)[i];
      const double inv = 1.0 / std::sqrt(ms / double(x.cols) + c_.rms_norm_eps);
      for (int64_t i = 0; i < x.cols; ++i) y.row(r)[i] = x.row(r)[i] * inv * w[size_t(i)];
    }
    return y;
  }

  // y = x·Wᵀ (W [out,in] named `weight`), plus the LoRA branch when that module has adapters.
  Matrix linear(const Matrix& x, const std::string& weight, int64_t out) const {
    const std::vector<double>& w = params_.at(weight);
    Matrix y(x.rows, out);
    for (int64_t r = 0; r < x.rows; ++r)
      for (int64_t o = 0; o < out; ++o) {
        double s = 0;
        for (int64_t i = 0; i < x.cols; ++i) s += x.row(r)[i] * w[size_t(o * x.cols + i)];
        y.row(r)[o] = s;
      }
    const std::string stem = "base_model.model." + weight.substr(0, weight.size() - 7);  // - ".weight"
    const auto a = params_.find(stem + ".lora_A.weight");
    if (a == params_.end()) return y;
    const std::vector<double>& A = a->second;
    const std::vector<double>& Bm = params_.at(stem + ".lora_B.weight");
    for (int64_t r = 0; r < x.rows; ++r) {
      std::vector<double> xa(size_t(rank_), 0.0);
      for (int64_t j = 0; j < rank_; ++j)
        for (int64_t i = 0; i < x.cols; ++i) xa[size_t(j)] += x.row(r)[i] * A[size_t(j * x.cols + i)];
      for (int64_t o = 0; o < out; ++o)
        for (int64_t j = 0; j < rank_; ++j) y.row(r)[o] += scaling_ * xa[size_t(j)] * Bm[size_t(o * rank_ + j)];
    }
    return y;
  }

  void rope(Matrix& x, int64_t heads, const std::vector<int>& positions) const {
    const int64_t HD = c_.head_dim, half = HD / 2;
    for (int64_t t = 0; t < x.rows; ++t)
      for (int64_t h = 0; h < heads; ++h) {
        double* p = x.row(t) + h * HD;
        for (int64_t i = 0; i < half; ++i) {
          const double angle = positions[size_t(t)] * inv_freq_[size_t(i)];
          const double x1 = p[i], x2 = p[i + half];
          p[i] = x1 * std::cos(angle) - x2 * std::sin(angle);
          p[i + half] = x2 * std::cos(angle) + x1 * std::sin(angle);
        }
      }
  }

  // Key s is visible to query t: causal, same document, and a padding query sees only itself.
  static bool visible(const std::vector<int>& segments, int64_t t, int64_t s) {
    if (s > t) return false;
    if (segments.empty()) return true;
    if (segments[size_t(t)] < 0) return s == t;
    return segments[size_t(s)] == segments[size_t(t)];
  }

  void layer(int l, Matrix& x, const std::vector<int>& positions, const std::vector<int>& segments) const {
    const int64_t T = x.rows, C = c_.hidden_size, I = c_.intermediate_size, HD = c_.head_dim;
    const int64_t NH = c_.num_attention_heads, NKV = c_.num_key_value_heads;
    const Matrix h = rmsnorm(x, params_.at(layer_name(l, "input_layernorm.weight")));
    Matrix q = linear(h, layer_name(l, "self_attn.q_proj.weight"), NH * HD);
    Matrix k = linear(h, layer_name(l, "self_attn.k_proj.weight"), NKV * HD);
    const Matrix v = linear(h, layer_name(l, "self_attn.v_proj.weight"), NKV * HD);
    rope(q, NH, positions);
    rope(k, NKV, positions);
    Matrix att(T, NH * HD);
    for (int64_t head = 0; head < NH; ++head) {
      const int64_t kv = head / (NH / NKV);
      for (int64_t t = 0; t < T; ++t) {
        std::vector<double> score(size_t(T), -INFINITY);
        double top = -INFINITY;
        for (int64_t s = 0; s < T; ++s) {
          if (!visible(segments, t, s)) continue;
          double dot = 0;
          for (int64_t d = 0; d < HD; ++d) dot += q.row(t)[head * HD + d] * k.row(s)[kv * HD + d];
          score[size_t(s)] = dot / std::sqrt(double(HD));
          top = std::max(top, score[size_t(s)]);
        }
        double norm = 0;
        for (double& sc : score) norm += (sc = std::exp(sc - top));
        for (int64_t s = 0; s < T; ++s)
          for (int64_t d = 0; d < HD; ++d)
            att.row(t)[head * HD + d] += score[size_t(s)] / norm * v.row(s)[kv * HD + d];
      }
    }
    const Matrix o = linear(att, layer_name(l, "self_attn.o_proj.weight"), C);
    for (size_t i = 0; i < x.v.size(); ++i) x.v[i] += o.v[i];
    const Matrix h2 = rmsnorm(x, params_.at(layer_name(l, "post_attention_layernorm.weight")));
    const Matrix gate = linear(h2, layer_name(l, "mlp.gate_proj.weight"), I);
    Matrix mlp = linear(h2, layer_name(l, "mlp.up_proj.weight"), I);
    for (size_t i = 0; i < mlp.v.size(); ++i) mlp.v[i] *= gate.v[i] / (1.0 + std::exp(-gate.v[i]));
    const Matrix down = linear(mlp, layer_name(l, "mlp.down_proj.weight"), C);
    for (size_t i = 0; i < x.v.size(); ++i) x.v[i] += down.v[i];
  }

  ModelConfig c_;
  std::map<std::string, std::vector<double>> params_;
  std::vector<double> inv_freq_;
  double scaling_ = 0;
  int64_t rank_ = 0;
};

}  // namespace ft::test
