// Full fine-tuning state for a model: fp32 gradients for every weight, attached to the model, and
// for a bf16 model fp32 master weights that the optimizer updates and sync_model() rounds back
// into the model's bf16 copy (norms and biases stay fp32 in both). For an fp32 model the
// optimizer updates the model's own weights.
#pragma once
#include <span>
#include <utility>
#include <vector>

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
  // [offset, offset + n) of every norm weight and bias within values(), in order: the tensors the
  // Trainer exempts from weight decay.
  std::vector<std::pair<int64_t, int64_t>> vector_ranges() const;
  // Where each layer's tensors begin in values()/grads(), for l = 0..L; [L] is where the final
  // norm and lm_head begin (the embedding comes first). Weights are stored in this order.
  std::vector<int64_t> layer_offsets() const;
  // The fp32 weights training produced (the masters of a bf16 model): what gets saved, as the
  // Transformers Trainer saves its fp32 parameters under --bf16. Rounding them to bf16 instead
  // would undo most of a fine-tune whose updates are below bf16's resolution (lr 2e-5).
  const ModelWeights& fp32_weights() const {
    return model_.dtype() == DType::BF16 ? master_ : std::as_const(model_).weights();
  }

 private:
  Model& model_;
  ModelWeights master_, grads_;
};

}  // namespace ft
