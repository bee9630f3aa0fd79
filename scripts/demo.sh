#!/usr/bin/env bash
# The demo behind `make demo`: fine-tune a small model on the project's generated instruction set
# (demo/median.json: "Calculate the median of the following list of integers."), then show the
# held-out perplexity and an answer before and after. The model is stories260k from ../shared when
# present (pretrained on TinyStories); in a clone without ../shared it is a fresh model made with
# `finetune init`, so the run is pre-training from scratch. A few minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/finetune
out=build/demo
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
mkdir -p "$out"

if [ -d ../shared/models/stories260k ]; then
  base=../shared/models/stories260k
  echo "== base model: stories260k (../shared), pretrained on children's stories"
else
  base=$out/base
  mkdir -p "$out/tokenizer"
  cp tests/fixtures/tokenizers/trained_metaspace.tokenizer.json "$out/tokenizer/tokenizer.json"
  echo "== base model: a new 4-layer Llama with random weights (no ../shared here)"
  $bin init --config demo/tiny_llama.json --tokenizer "$out/tokenizer" --output_dir "$base" --seed 1 \
    --overwrite_output_dir
fi

system="Find the median."
data=(--train_file demo/median.json --validation_split_percentage 10 --max_seq_length 128
      --prompt_with_input "$system" --per_device_eval_batch_size 32)
prompt=$(printf '%s\n\n### Instruction:\nCalculate the median of the following list of integers.\n\n### Input:\n7, 2, 5\n\n### Response:' "$system")$'\n'

answer() {  # answer <model dir>: the greedy continuation of the demo prompt
  $bin generate --model_name_or_path "$1" --prompt "$prompt" --max_new_tokens 6 |
    awk 'after { printf "%s ", $0 } /^### Response:/ { after = 1 }'
}
perplexity() {  # perplexity <model dir> <results dir>
  $bin eval --model_name_or_path "$1" "${data[@]}" --output_dir "$2" >/dev/null
  sed -n 's/.*"perplexity": \([0-9.e+-]*\).*/\1/p' "$2/eval_results.json" | head -1
}

echo "== before: held-out perplexity and an answer"
before_ppl=$(perplexity "$base" "$out/before")
before_answer=$(answer "$base")

echo "== finetune train (full fine-tuning, 80 steps of 16 examples)"
$bin train --model_name_or_path "$base" "${data[@]}" --output_dir "$out/run" --overwrite_output_dir true \
  --do_train --do_eval --use_lora false --learning_rate 2e-3 --warmup_steps 5 --max_steps 80 \
  --per_device_train_batch_size 16 --logging_steps 10 --save_steps 40 --save_total_limit 1 --report_to tensorboard

after_ppl=$(perplexity "$out/run" "$out/after")
after_answer=$(answer "$out/run")
echo
echo "== result (the median of 7, 2, 5 is 5)"
printf '  before: perplexity %-10s answer: %s\n' "$before_ppl" "$before_answer"
printf '  after:  perplexity %-10s answer: %s\n' "$after_ppl" "$after_answer"
echo "  the run's files: $out/run (model, trainer_state.json, all_results.json, metrics.jsonl, runs/ for TensorBoard)"
echo "  plots: $bin report $out/run   then open $out/run/report.html"
