#!/usr/bin/env bash
# Planned peak memory (what `finetune train --dry_run` / `finetune inspect --train` print) against
# the measured peak RSS (VmHWM, recorded in metrics.jsonl) of real `finetune train` runs: models
# made with `finetune init` (a 56M-parameter Llama with vocabulary 32000, and TinyLlama-1.1B's
# shape cut to 2 layers) and stories260k from ../shared when present; LoRA and full, fp32 and
# bf16, with and without gradient checkpointing. Each run trains 2 steps on generated data whose
# packed rows fill --max_seq_length. Prints one table row per case and the load average.
#
#   bench/memory_plan.sh [--quick] [FINETUNE_BINARY]
#
# --quick skips the TinyLlama-2-layer cases (about 4 minutes on 2 cores; the full set about 20).
set -euo pipefail

quick=0
if [[ "${1:-}" == "--quick" ]]; then quick=1; shift; fi
root=$(cd "$(dirname "$0")/.." && pwd)
finetune=${1:-$root/build/finetune}
[[ -x "$finetune" ]] || { echo "no finetune binary at $finetune (build it, or pass its path)" >&2; exit 1; }
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/tokenizer"
cp "$root/tests/fixtures/tokenizers/trained_metaspace.tokenizer.json" "$work/tokenizer/tokenizer.json"

# 400 alpaca records of ~150 words each: document packing fills every 512-token row.
awk 'BEGIN {
  srand(7); split("the a model trains on data with memory planned before every step of work", w, " ");
  printf "[";
  for (r = 0; r < 400; r++) {
    out = ""; for (i = 0; i < 150; i++) out = out w[int(rand() * 14) + 1] " ";
    printf "%s{\"instruction\": \"Say something %d.\", \"input\": \"\", \"output\": \"%s\"}", (r ? "," : ""), r, out;
  }
  print "]" }' > "$work/data.json"

make_model() {  # name hidden intermediate layers heads kv_heads vocab
  cat > "$work/$1.json" <<EOF
{"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": $2,
 "intermediate_size": $3, "num_hidden_layers": $4, "num_attention_heads": $5,
 "num_key_value_heads": $6, "vocab_size": $7, "max_position_embeddings": 2048, "rms_norm_eps": 1e-5,
 "rope_theta": 10000.0, "tie_word_embeddings": false, "bos_token_id": 1, "eos_token_id": 2,
 "torch_dtype": "float32"}
EOF
  "$finetune" init --config "$work/$1.json" --tokenizer "$work/tokenizer" --output_dir "$work/$1" >/dev/null
  echo "$work/$1"
}

mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

printf '%s\n' "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-12s %-5s %-5s %-5s %5s %5s %11s %11s %7s\n' model mode dtype ckpt batch seq "planned MiB" "measured" ratio

run_case() {  # model_dir label batch seq lora(true/false) bf16 ckpt
  local out="$work/out" log="$work/log"
  rm -rf "$out"
  "$finetune" train --model_name_or_path "$1" --train_file "$work/data.json" --output_dir "$out" \
    --do_train --max_steps 2 --logging_steps 1 --save_strategy no --report_to none \
    --per_device_train_batch_size "$3" --max_seq_length "$4" --use_lora "$5" --bf16 "$6" \
    --gradient_checkpointing "$7" --lora_target_modules all-linear > "$log" 2>&1 ||
    { echo "$2: train failed:"; tail -3 "$log"; return; }
  local planned measured seq
  planned=$(sed -n 's/.*memory (planned peak per process, micro-batch [0-9]* x \([0-9]*\) tokens): \([0-9.]*\) MiB.*/\1 \2/p' "$log" | head -1)
  seq=${planned% *}
  planned=${planned#* }
  measured=$(grep -o '"peak_rss_bytes":[0-9.e+]*' "$out/metrics.jsonl" | cut -d: -f2 | sort -g | tail -1)
  measured=$(mib "$measured")
  printf '%-12s %-5s %-5s %-5s %5s %5s %11s %11s %7s\n' "$2" "$([[ $5 == true ]] && echo lora || echo full)" \
    "$([[ $6 == true ]] && echo bf16 || echo fp32)" "$7" "$3" "$seq" "$planned" "$measured" \
    "$(awk -v m="$measured" -v p="$planned" 'BEGIN { printf "%+.1f%%", 100 * (m / p - 1) }')"
}

cases() {  # model_dir label batch seq
  for bf16 in false true; do
    run_case "$1" "$2" "$3" "$4" true "$bf16" false
    run_case "$1" "$2" "$3" "$4" true "$bf16" true
    run_case "$1" "$2" "$3" "$4" false "$bf16" false
  done
}

if [[ -d "$root/../shared/models/stories260k" ]]; then cases "$root/../shared/models/stories260k" stories260k 8 256; fi
cases "$(make_model llama56m 512 1408 8 8 4 32000)" llama56m 4 256
if [[ $quick == 0 ]]; then
  tiny=$(make_model tinyllama2 2048 5632 2 32 4 32000)
  run_case "$tiny" tinyllama2 8 512 true true false
  run_case "$tiny" tinyllama2 8 512 true true true
  run_case "$tiny" tinyllama2 8 512 true false false
  run_case "$tiny" tinyllama2 2 512 false true false
fi
printf '%s\n' "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
