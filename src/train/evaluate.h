// Loss and perplexity of a model on sequences: the mean over every counted token (labels shifted
// as in training, −100 ignored), so it depends neither on batch size nor on packing; perplexity is
// exp(loss). With several ranks each takes every world-th sequence and the sums are reduced.
#pragma once
#include <cstdint>
#include <vector>

#include "data/packing.h"
#include "dist/communicator.h"
#include "model/model.h"
#include "train/run_log.h"

namespace ft {

EvalResult evaluate_loss(Model& model, const std::vector<data::Sequence>& sequences, int64_t batch_size,
                         int32_t pad_id, dist::Communicator& comm);

}  // namespace ft
