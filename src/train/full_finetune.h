// Full fine-tuning state for a model: fp32 gradients for every weight, attached to the model, and
// for a bf16 model fp32 master weights that the optimizer updates and sync_model() rounds back
// into the model's bf16 copy (norms and biases stay fp32 in both). For an fp32 model the
// optimizer updates the model's own weights.
#pragma once
#include <span>

#include "model/model.h"
#include "model/weights.h"

namespace ft {

class FullFinetune {
 public:
  explicit FullFinetune(Model& model);  // attaches the gradients; the model must outlive this
  ~FullFinetune();
  FullFinetune(const FullFinetune&) = delete;
  FullFinetune& operator=(const FullFinetune&) = delete;

  std::span<float> values();  // the fp32 weights the optimizer updates
  std::span<float> grads();
  void sync_model();  // masters → the model's bf16 weights (no-op for fp32)

 private:
  Model& model_;
  ModelWeights master_, grads_;
};

}  // namespace ft
