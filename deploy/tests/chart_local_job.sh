#!/usr/bin/env bash
# The job without Kubernetes: the rendered worker command runs as N local processes with the
# environment the job controller injects (PyTorchJob's Master + Workers form: MASTER_ADDR,
# MASTER_PORT, RANK, WORLD_SIZE and the PET_* torchrun names; a TrainJob's torch runtime: PET_* and
# JOB_COMPLETION_INDEX), a directory standing in for the volume, a stand-in model and dataset, and a
# few steps. The job must finish and write the model where the chart says, in both forms.
source "$(dirname "$0")/common.sh"
require_tool helm "$HELM_BIN"
require_trainer

workers=2
# run_job <job.kind> <rendered template> [helm args]: renders the job, starts its trainer command as
# $workers local processes with the environment that kind's controller gives each pod, and checks
# the adapter.
run_job() {
  local kind=$1 template=$2
  shift 2
  helm template t "$chart" -f "$chart/medical_meadow_values.yaml" --set job.kind="$kind" "$@" \
    --set distributed.workers=$workers --set distributed.train.maxSteps=2 \
    --set distributed.train.perDeviceBatchSize=2 --set distributed.eval.perDeviceBatchSize=2 \
    --set distributed.train.maxSeqLength=256 --set distributed.train.saveStrategy=steps \
    --show-only "$template" >"$scratch/job.yaml"
  local_args "$scratch/job.yaml"
  output_dir=$(printf '%s\n' "${args[@]}" | sed -n 's/^--output_dir=//p')
  [ -n "$output_dir" ] || fail "$kind: the rendered command has no --output_dir"
  rm -rf "$output_dir"

  local port=$((20000 + RANDOM % 20000)) pids=() rank status=0 contract=RANK/WORLD_SIZE
  [ "$kind" = PyTorchJob ] || contract=PET_NODE_RANK/PET_NNODES
  for rank in $(seq 0 $((workers - 1))); do
    if [ "$kind" = PyTorchJob ]; then
      # Master + Workers form: the training-operator's MASTER_*, RANK, WORLD_SIZE and PET_* names.
      env MASTER_ADDR=127.0.0.1 MASTER_PORT=$port WORLD_SIZE=$workers RANK=$rank \
        PET_MASTER_ADDR=127.0.0.1 PET_MASTER_PORT=$port PET_NNODES=$workers PET_NODE_RANK=$rank \
        PET_NPROC_PER_NODE=1 timeout 600 "$finetune" train "${args[@]}" >"$scratch/rank$rank.log" 2>&1 &
    else
      # Trainer v2's torch plugin (PET_* only) on an Indexed Job's pod (JOB_COMPLETION_INDEX).
      env JOB_COMPLETION_INDEX=$rank PET_NNODES=$workers PET_NPROC_PER_NODE=1 PET_NODE_RANK=$rank \
        PET_MASTER_ADDR=127.0.0.1 PET_MASTER_PORT=$port \
        timeout 600 "$finetune" train "${args[@]}" >"$scratch/rank$rank.log" 2>&1 &
    fi
    pids+=($!)
  done
  for rank in "${!pids[@]}"; do
    wait "${pids[$rank]}" || { status=1; echo "--- rank $rank failed:"; tail -n 30 "$scratch/rank$rank.log"; }
  done
  [ $status -eq 0 ] || fail "$kind: the local $workers-process job failed"
  grep -qF "distributed: $workers processes ($contract)" "$scratch/rank0.log" ||
    { cat "$scratch/rank0.log"; fail "$kind: rank 0 does not report $workers processes launched by $contract"; }
  local file
  for file in adapter_config.json adapter_model.safetensors; do
    [ -s "$output_dir/$file" ] || { ls -R "$pvc"; fail "$kind: the job did not write $output_dir/$file"; }
  done
  echo "chart_local_job: $kind: $workers processes trained and wrote the adapter to ${output_dir#"$scratch"/}"
}

# Pod environment from the chart (paths moved onto the stand-in volume), then the controller's.
export HOME=$scratch/home HF_HOME=$pvc/home HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1
mkdir -p "$HOME" "$HF_HOME"
run_job PyTorchJob templates/pytorchjob.yaml
grep -q "^      replicas: $((workers - 1))$" "$scratch/job.yaml" || fail "expected 1 Master + $((workers - 1)) Workers"
run_job TrainJob templates/trainingruntime.yaml
run_job TrainJob templates/trainjob.yaml --set job.trainJobRuntime.name=torch-distributed
