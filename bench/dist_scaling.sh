#!/usr/bin/env bash
# Data-parallel scaling on this machine: optimizer-step time of `finetune train` as 1 process with
# P threads against P processes with 1 thread each, same global batch, for a tiny and a small model,
# LoRA and full fine-tuning. The P-process run goes twice: with the gradient all-reduce in 25 MiB
# buckets overlapping the backward pass (the default) and as one all-reduce after it
# (--ddp_bucket_cap_mb 32768). Prints seconds per step, scaling efficiency (1-process step time /
# P-process step time: 1.0 = the ranks cost nothing beyond the compute they share) and the
# all-reduced gradient bytes per step, with the load average and CPU flags.
#
#   bench/dist_scaling.sh [--procs P] [--steps N] [--batch GLOBAL] [--seq T] [--models tiny,small]
#                         [--link RATE]
#
# --link RATE (tc rate, e.g. 1gbit; needs root and P = 2): the two ranks run in two network
# namespaces ("hosts") joined by a veth pair shaped to RATE each way, so the all-reduce pays for a
# real link's bandwidth instead of loopback's memory copies.
#
# tiny = stories260k from ../shared (else a fresh `finetune init` of its shape), small = a fresh
# 8-layer, hidden-512 Llama (~25M parameters) made with `finetune init`. The data are generated
# records, each as long as --seq tokens or so. Environment: FT_BUILD_DIR (default build).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="${FT_BUILD_DIR:-$root/build}"
bin="$build/finetune"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
procs=2 steps=6 batch=8 seq=128 models="tiny,small" link=""
while [ $# -gt 0 ]; do
  case "$1" in
    --procs) procs="$2"; shift ;;
    --steps) steps="$2"; shift ;;
    --batch) batch="$2"; shift ;;
    --seq) seq="$2"; shift ;;
    --models) models="$2"; shift ;;
    --link) link="$2"; shift ;;
    *) echo "dist_scaling: unknown flag $1 (see the header of $0)" >&2; exit 1 ;;
  esac
  shift
done
[ -x "$bin" ] || { echo "dist_scaling: build $bin first (cmake --build $build --target finetune)" >&2; exit 1; }
(( batch % procs == 0 )) || { echo "dist_scaling: --batch must be a multiple of --procs" >&2; exit 1; }
(( steps >= 2 )) || { echo "dist_scaling: --steps must be at least 2 (the first is warm-up)" >&2; exit 1; }

work="$(mktemp -d)"
ns0=ftbench$$a ns1=ftbench$$b
cleanup() {
  rm -rf "$work"
  if [ -n "$link" ]; then ip netns del "$ns0" 2>/dev/null || true; ip netns del "$ns1" 2>/dev/null || true; fi
}
trap cleanup EXIT
addr=(127.0.0.1 127.0.0.1)
if [ -n "$link" ]; then
  (( procs == 2 )) || { echo "dist_scaling: --link needs --procs 2 (one rank per namespace)" >&2; exit 1; }
  [ "$(id -u)" = 0 ] || { echo "dist_scaling: --link needs root (ip netns, tc)" >&2; exit 1; }
  ip netns add "$ns0" && ip netns add "$ns1" &&
    ip link add ftb$$a netns "$ns0" type veth peer name ftb$$b netns "$ns1" &&
    ip -n "$ns0" addr add 10.232.0.1/24 dev ftb$$a && ip -n "$ns1" addr add 10.232.0.2/24 dev ftb$$b &&
    ip -n "$ns0" link set ftb$$a up && ip -n "$ns1" link set ftb$$b up &&
    ip -n "$ns0" link set lo up && ip -n "$ns1" link set lo up &&
    ip netns exec "$ns0" tc qdisc add dev ftb$$a root tbf rate "$link" burst 256kb latency 100ms &&
    ip netns exec "$ns1" tc qdisc add dev ftb$$b root tbf rate "$link" burst 256kb latency 100ms ||
    { echo "dist_scaling: could not set up the shaped link (--link $link)" >&2; exit 1; }
  addr=(10.232.0.1 10.232.0.2)
fi
fail() { echo "dist_scaling: $1 failed; its log:" >&2; cat "$2" >&2; exit 1; }
shared="$root/../shared/models/stories260k"
[ -d "$shared" ] || { echo "dist_scaling: needs $shared (its tokenizer)" >&2; exit 1; }

# Model directories: name -> path.
make_model() {  # name hidden intermediate layers heads kv_heads
  local dir="$work/$1"
  sed -e "s/\"hidden_size\": 64/\"hidden_size\": $2/" -e "s/\"intermediate_size\": 172/\"intermediate_size\": $3/" \
      -e "s/\"num_hidden_layers\": 5/\"num_hidden_layers\": $4/" -e "s/\"num_attention_heads\": 8/\"num_attention_heads\": $5/" \
      -e "s/\"num_key_value_heads\": 4/\"num_key_value_heads\": $6/" -e "s/\"head_dim\": 8/\"head_dim\": $(($2 / $5))/" \
      "$shared/config.json" >"$work/$1.config.json"
  "$bin" init --config "$work/$1.config.json" --tokenizer "$shared" --output_dir "$dir" --seed 1 >/dev/null
  echo "$dir"
}

# Records of about `seq` tokens: counting words in the response keep every record trainable.
data="$work/data.jsonl"
words=$(( seq / 4 ))
for i in $(seq 1 $(( batch * (steps + 2) ))); do
  text=""
  for j in $(seq 1 "$words"); do text+="word$(( (i * 31 + j * 7) % 97 )) "; done
  printf '{"instruction": "count %d", "input": "", "output": "%s"}\n' "$i" "$text"
done >"$data"

load() { cut -d' ' -f1 /proc/loadavg; }
cpu="$(grep -m1 '^flags' /proc/cpuinfo | grep -o -w -E 'avx512f|avx512_bf16|amx_tile' | tr '\n' ' ' || true)"
echo "dist_scaling: $(nproc) cores, CPU path ${cpu:-avx2}, $procs processes vs 1, global batch $batch x $seq tokens, $steps steps, link ${link:-loopback}"
printf '%-6s %-5s %12s %14s %14s %8s %8s %14s %6s\n' model mode "1proc s/step" "${procs}p overlap" "${procs}p at end" \
  eff eff_end "grad bytes" load

# Seconds per optimizer step of one run (the trainer's own clock, without start-up); $1 = ranks
# (0: print the trainable parameter count instead), $4 = --ddp_bucket_cap_mb.
run() {
  local ranks=$1 model=$2 lora=$3 out="$work/out.$1"
  rm -rf "$out"
  local args=(train --model_name_or_path "$model" --train_file "$data" --output_dir "$out" --do_train
              --per_device_train_batch_size $(( batch / (ranks > 0 ? ranks : 1) )) --max_steps "$steps" --max_seq_length "$seq"
              --packing none --report_to none --save_strategy no --logging_steps 1 --use_lora "$lora"
              --learning_rate 1e-4 --seed 3 --ddp_bucket_cap_mb "${4:-25}")
  if [ "$ranks" = 0 ]; then  # the plan only: trainable parameters
    "$bin" "${args[@]}" --dry_run 2>&1 | sed -n 's/.* \([0-9][0-9]*\) trainable parameters.*/\1/p' | head -1
    return
  elif [ "$ranks" = 1 ]; then
    OMP_NUM_THREADS=$procs "$bin" "${args[@]}" >"$out.log" 2>&1 || fail "1 process" "$out.log"
  else
    local port=$(( 20000 + RANDOM % 20000 )) pids=()
    for r in $(seq 0 $(( ranks - 1 ))); do
      local in_ns=()
      [ -n "$link" ] && in_ns=(ip netns exec "$([ "$r" = 0 ] && echo "$ns0" || echo "$ns1")")
      "${in_ns[@]}" env OMP_NUM_THREADS=1 RANK=$r WORLD_SIZE=$ranks MASTER_ADDR="${addr[0]}" MASTER_PORT=$port \
        "$bin" "${args[@]}" >"$out.$r.log" 2>&1 &
      pids+=($!)
    done
    for r in "${!pids[@]}"; do wait "${pids[$r]}" || fail "rank $r" "$out.$r.log"; done
  fi
  # Step 1 (first-touch allocations, primitive creation) is warm-up: time steps 2..N.
  grep '"type":"train"' "$out/metrics.jsonl" | sed -n 's/.*"elapsed_seconds":\([0-9.e+-]*\).*/\1/p' |
    awk 'NR == 1 {first = $1} {last = $1; n = NR} END {print (last - first) / (n - 1)}'
}

for name in ${models//,/ }; do
  case "$name" in
    tiny) model="$shared" ;;
    small) model="$(make_model small 512 1376 8 8 8)" ;;
    *) echo "dist_scaling: unknown model $name (tiny, small)" >&2; exit 1 ;;
  esac
  for lora in true false; do
    one=$(run 1 "$model" "$lora")
    many=$(run "$procs" "$model" "$lora")
    at_end=$(run "$procs" "$model" "$lora" 32768)
    params=$(run 0 "$model" "$lora")
    mode=$([ "$lora" = true ] && echo lora || echo full)
    printf '%-6s %-5s %12.4f %14.4f %14.4f %8.2f %8.2f %14s %6s\n' "$name" "$mode" "$one" "$many" "$at_end" \
      "$(awk -v a="$one" -v b="$many" 'BEGIN{print a / b}')" "$(awk -v a="$one" -v b="$at_end" 'BEGIN{print a / b}')" \
      "$(( ${params:-0} * 4 ))" "$(load)"
  done
done
