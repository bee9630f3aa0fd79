// Folds LoRA adapters into the base weights so the model runs without them:
// W += scaling · B·A for every adapted projection (PEFT's merge_and_unload), computed in fp32 and
// rounded once to the model's dtype.
#pragma once
#include "model/lora.h"
#include "model/model.h"

namespace ft {

// `lora` must have been built for model.config(); it is not modified and stays usable.
void merge_lora(Model& model, const LoraWeights& lora);

}  // namespace ft
