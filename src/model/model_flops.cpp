#include "model/model_flops.h"

namespace ft {

double training_flops_per_token(const ModelConfig& c, const LoraConfig* lora, int64_t T,
                                double trained_fraction) {
  const double C = c.hidden_size, V = c.vocab_size, L = c.num_hidden_layers;
  const double attention = 4.0 * (double(T) / 2.0) * double(c.num_attention_heads) * c.head_dim;
  double matrices = 0;
  for (int t = 0; t < kLoraTargetCount; ++t) {
    const auto [in, out] = projection_shape(c, LoraTarget(t));
    matrices += double(in) * double(out);
  }
  if (!lora) return L * (6 * matrices + 3 * attention) + 6 * C * V * trained_fraction;

  using enum LoraTarget;
  const auto adapted = [&](LoraTarget t) { return lora->targets[size_t(t)]; };
  const double r = lora->rank;
  // The first layer's backward: which stages still run (Model::layer_backward with no input
  // gradient), and so which projections pass a gradient to their input.
  const bool qkv = adapted(kQ) || adapted(kK) || adapted(kV);
  const bool attention_block = qkv || adapted(kO);
  const bool mlp = attention_block || adapted(kGate) || adapted(kUp);
  const auto first_layer_input_grad = [&](LoraTarget t) {
    switch (t) {
      case kQ: case kK: case kV: return false;
      case kO: return qkv;
      case kGate: case kUp: return attention_block;
      case kDown: return mlp;
    }
    return true;
  };
  bool any = false;
  double layer = 3 * attention, first = attention + (qkv ? 2 * attention : 0);
  for (int i = 0; i < kLoraTargetCount; ++i) {
    const LoraTarget t = LoraTarget(i);
    const auto [in, out] = projection_shape(c, t);
    const double w = double(in) * double(out), a = r * double(in + out);
    any = any || adapted(t);
    layer += 4 * w + (adapted(t) ? 6 * a : 0);
    first += 2 * w + (adapted(t) ? 2 * a : 0);  // forward
    if (first_layer_input_grad(t)) first += 2 * w + (adapted(t) ? 2 * r * double(in) : 0);
    if (adapted(t)) first += 2 * r * double(in) + 4 * r * double(out);  // dA, dB and dy·B
  }
  if (!any) return L * (2 * matrices + attention) + 2 * C * V * trained_fraction;
  return (L - 1) * layer + first + 4 * C * V * trained_fraction;
}

}  // namespace ft
