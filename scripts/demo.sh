#!/usr/bin/env bash
# The demo behind `make demo`. Until `finetune train` lands it shows the foundation: inspect a real
# pretrained model and generate text from it, greedy and sampled, in fp32 and bf16.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/finetune
model=../shared/models/stories260k
if [ ! -d "$model" ]; then
  echo "demo: ../shared/models/stories260k is not here (a clone without the team's shared data)."
  echo "demo: showing the project's own tiny test model instead; it has random weights and no"
  echo "demo: tokenizer, so there is no text to generate from it."
  $bin inspect tests/fixtures/tiny_models/llama_gqa_untied
  exit 0
fi

echo "== finetune inspect $model"
$bin inspect "$model"
echo
echo "== greedy, fp32: finetune generate --prompt 'Once upon a time' --bf16 false"
$bin generate --model_name_or_path "$model" --prompt "Once upon a time" --max_new_tokens 120 --bf16 false
echo
echo "== sampled (temperature 0.8, top-p 0.9, seed 7), bf16"
$bin generate --model_name_or_path "$model" --prompt "The little dog" --max_new_tokens 120 \
  --temperature 0.8 --top_p 0.9 --seed 7 --bf16 true
