// Global-norm gradient clipping as torch.nn.utils.clip_grad_norm_ (what the Trainer calls with
// --max_grad_norm): the L2 norm over all trainable gradients together; when max_norm > 0 every
// gradient is scaled by min(1, max_norm / (norm + 1e-6)). Returns the norm before clipping (the
// Trainer's logged grad_norm). A non-finite norm leaves the gradients untouched.
#pragma once
#include <span>

namespace ft {

double clip_grad_norm(std::span<const std::span<float>> grads, double max_norm);

}  // namespace ft
