#!/usr/bin/env bash
# The job without Kubernetes: the rendered worker command runs as N local processes with the
# environment the PyTorchJob controller injects (Master + Workers form: MASTER_ADDR, MASTER_PORT,
# RANK, WORLD_SIZE and the PET_* torchrun names), a directory standing in for the volume, a stand-in
# model and dataset, and a few steps. The job must finish and write the model where the chart says.
source "$(dirname "$0")/common.sh"
require_tool helm "$HELM_BIN"
require_trainer

workers=2
helm template t "$chart" -f "$chart/medical_meadow_values.yaml" \
  --set distributed.workers=$workers --set distributed.train.maxSteps=2 \
  --set distributed.train.perDeviceBatchSize=2 --set distributed.eval.perDeviceBatchSize=2 \
  --set distributed.train.maxSeqLength=256 --set distributed.train.saveStrategy=steps \
  --show-only templates/pytorchjob.yaml >"$scratch/job.yaml"
grep -q "^      replicas: $((workers - 1))$" "$scratch/job.yaml" || fail "expected 1 Master + $((workers - 1)) Workers"
local_args "$scratch/job.yaml"
output_dir=$(printf '%s\n' "${args[@]}" | sed -n 's/^--output_dir=//p')
[ -n "$output_dir" ] || fail "the rendered command has no --output_dir"

# Pod environment from the chart (paths moved onto the stand-in volume), then the controller's.
export HOME=$scratch/home HF_HOME=$pvc/home HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1
mkdir -p "$HOME" "$HF_HOME"
port=$((20000 + RANDOM % 20000))
pids=()
for rank in $(seq 0 $((workers - 1))); do
  MASTER_ADDR=127.0.0.1 MASTER_PORT=$port WORLD_SIZE=$workers RANK=$rank \
  PET_MASTER_ADDR=127.0.0.1 PET_MASTER_PORT=$port PET_NNODES=$workers PET_NODE_RANK=$rank \
  PET_NPROC_PER_NODE=1 \
    timeout 600 "$finetune" train "${args[@]}" >"$scratch/rank$rank.log" 2>&1 &
  pids+=($!)
done
status=0
for rank in "${!pids[@]}"; do
  wait "${pids[$rank]}" || { status=1; echo "--- rank $rank failed:"; tail -n 30 "$scratch/rank$rank.log"; }
done
[ $status -eq 0 ] || fail "the local $workers-process job failed"
for file in adapter_config.json adapter_model.safetensors; do
  [ -s "$output_dir/$file" ] || { ls -R "$pvc"; fail "the job did not write $output_dir/$file"; }
done
echo "chart_local_job: $workers processes trained and wrote the adapter to ${output_dir#"$scratch"/}"
