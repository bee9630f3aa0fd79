#!/usr/bin/env bash
# Every train value maps to a finetune train flag: render each example values file, take the worker's
# arguments and run them with --dry_run against local stand-ins for the volume, model and dataset.
# A misspelt LoRA module (the reference values say `q_proj vproj`) must fail there.
source "$(dirname "$0")/common.sh"
require_tool helm "$HELM_BIN"
require_trainer

run_dry() {  # run_dry <values file> [helm args...]: exit status of the dry run; output in dry.log
  local f=$1; shift
  helm template t "$chart" -f "$f" "$@" --show-only templates/pytorchjob.yaml >"$scratch/job.yaml"
  local_args "$scratch/job.yaml"
  "$finetune" train "${args[@]}" --dry_run >"$scratch/dry.log" 2>&1
}

# The examples, and a values file written for the reference chart (its old-stack flags included).
for f in "$chart"/*_values.yaml "$chart"/ci/reference-layout-values.yaml; do
  run_dry "$f" || { cat "$scratch/dry.log"; fail "dry run of $(basename "$f")'s command failed"; }
  echo "ok: $(basename "$f"): finetune train --dry_run accepts the rendered command"
done

if run_dry "$chart/financial_chatbot_values.yaml" --set-string "distributed.train.loraTargetModules=q_proj vproj"; then
  fail "a dry run with --lora_target_modules q_proj vproj succeeded; the misspelt module must be an error"
fi
grep -q vproj "$scratch/dry.log" || { cat "$scratch/dry.log"; fail "the error for module 'vproj' does not name it"; }
echo "ok: misspelt module 'vproj' rejected: $(grep -m1 vproj "$scratch/dry.log")"
echo "chart_dry_run: all checks passed"
