#!/usr/bin/env bash
# Proves that a built finetune image keeps the promises the Helm chart relies on, against a local
# Docker daemon. Not part of `make test` (CI has no daemon); rerun it after changing the Dockerfile.
#   deploy/docker/check-image.sh [IMAGE]                        (default finetune:dev)
# One PASS/FAIL/SKIP line per check, exit 1 when any failed:
#   version, help   `--version` / the default `--help` answer through tini
#   user            numeric non-root user (runAsNonRoot can verify it), tini as the entrypoint
#   size            uncompressed (what `docker image ls` shows) and gzip-compressed (what a push sends)
#   train           the chart's rendered worker command, run as the pod runs it: read-only root,
#                   uid 1000, a tmpfs /tmp, the volume at /tmp/pvc-mount, --shm-size, no network
#   sigterm         `docker stop` mid-run: tini forwards SIGTERM, the trainer checkpoints, exit 143
#   resume          the same command again (--resume_from_checkpoint auto) finishes the run
#   two-ranks       two containers on a user-defined network with the PyTorchJob environment
#                   (MASTER_ADDR = the master's name, RANK, WORLD_SIZE, PET_*) train together
# The worker command comes from `helm template` of the medical example (helm: scripts/install-chart-tools.sh);
# the model is a fresh tiny Llama made with the image's own `finetune init`, the data demo/median.json.
source "$(dirname "$0")/../tests/common.sh"  # repo, chart, scratch, require_tool, local_args
set +e  # each check reports its own failure

image=${1:-finetune:dev}
prefix=ft-check-$$
vol=$scratch/pvc        # stands in for the ReadWriteMany volume
pvc=/tmp/pvc-mount      # where the chart mounts it: local_args then maps paths onto itself
standin_model=$pvc/model
standin_data=$pvc/dataset/median.json
passed=0 failed=0

cleanup() {
  docker rm -f "$prefix-sigterm" "$prefix-rank0" "$prefix-rank1" >/dev/null 2>&1
  docker network rm "$prefix-net" >/dev/null 2>&1
  rm -rf "$scratch"
}
trap cleanup EXIT

report() {  # report <check> <PASS|FAIL|SKIP> <detail>
  printf '%-10s %-4s %s\n' "$1" "$2" "$3"
  case $2 in PASS) passed=$((passed + 1)) ;; FAIL) failed=$((failed + 1)) ;; esac
}
check() {  # check <name> <detail> <command...>: PASS when the command succeeds
  local name=$1 detail=$2
  shift 2
  if "$@"; then report "$name" PASS "$detail"; else report "$name" FAIL "$detail"; fi
}

# The pod, as deploy/helm/finetune/templates/_pod.tpl runs it.
pod=(--read-only --user 1000:1000 --security-opt no-new-privileges --shm-size 256m
     --tmpfs /tmp:rw,mode=1777,size=512m -v "$vol:$pvc"
     -e HOME=/tmp -e HF_HOME=/tmp/home -e HF_HUB_OFFLINE=1 -e OMP_NUM_THREADS=1 -e OMP_WAIT_POLICY=PASSIVE)

# run_pod <log> <docker run options and args...>: a container of the pod; shows the log's end on failure.
run_pod() {
  local log=$1
  shift
  docker run --rm "${pod[@]}" "$@" >"$log" 2>&1 && return 0
  local rc=$?
  tail -n 15 "$log" | sed 's/^/    /'
  return $rc
}

# worker_args <output subdir> <helm --set overrides...>: the rendered trainer args into `args`.
worker_args() {
  local out=$1
  shift
  helm template t "$chart" -f "$chart/medical_meadow_values.yaml" --show-only templates/pytorchjob.yaml \
    --set distributed.train.outputDir="$pvc/$out" --set distributed.train.maxSeqLength=256 \
    --set distributed.train.perDeviceBatchSize=4 --set distributed.eval.perDeviceBatchSize=4 \
    --set distributed.train.loggingSteps=2 "$@" >"$scratch/job.yaml" || return 1
  local_args "$scratch/job.yaml"
}

docker image inspect "$image" >/dev/null 2>&1 || { echo "check-image: no image $image (build it first)" >&2; exit 1; }
echo "check-image: $image, $(docker version -f 'docker {{.Server.Version}}' 2>/dev/null), $(date -u +%F)"

# (a) the CLI answers through tini
version=$(docker run --rm "$image" --version 2>&1)
check version "$version" grep -q '^finetune.cpp [0-9]' <<<"$version"
help=$(docker run --rm "$image" 2>&1)
check help "the default command lists the commands" grep -q '^  train' <<<"$help"
user=$(docker image inspect -f '{{.Config.User}}' "$image")
entrypoint=$(docker image inspect -f '{{join .Config.Entrypoint " "}}' "$image")
check user "user $user, entrypoint $entrypoint" [ "$user" = 1000:1000 -a "${entrypoint%% *}" = /usr/bin/tini ]

# (b) size: uncompressed (docker image ls) and compressed (a push); the non-empty layers below it
bytes=$(docker image inspect -f '{{.Size}}' "$image")
gzip_bytes=$(docker save "$image" | gzip -c | wc -c)
check size "$((bytes / 1000000)) MB uncompressed, $((gzip_bytes / 1000000)) MB gzip-compressed" \
  [ "$bytes" -lt 500000000 ]
docker history --format '{{.Size}}\t{{if .CreatedBy}}{{.CreatedBy}}{{else}}(imported base){{end}}' "$image" |
  grep -v '^0B' | cut -c1-100 | sed 's/^/           /'

if ! [ -x "$HELM_BIN" ] && ! command -v helm >/dev/null; then
  for name in train sigterm resume two-ranks; do
    report $name SKIP "helm not found (scripts/install-chart-tools.sh installs it)"
  done
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
fi
require_tool helm "$HELM_BIN"

# The volume's contents: data, a tokenizer, and a fresh tiny model made by the image itself.
mkdir -p "$vol/dataset" "$vol/tokenizer"
cp "$repo/demo/median.json" "$vol/dataset/median.json"
cp "$repo/tests/fixtures/tokenizers/trained_metaspace.tokenizer.json" "$vol/tokenizer/tokenizer.json"
cp "$repo/demo/tiny_llama.json" "$vol/tiny_llama.json"
chown -R 1000:1000 "$vol" 2>/dev/null || chmod -R a+rwX "$vol"
run_pod "$scratch/init.log" --network none "$image" init --config "$pvc/tiny_llama.json" \
  --tokenizer "$pvc/tokenizer" --output_dir "$standin_model" --seed 1

# (c) a short run of the medical example's worker command, one worker
worker_args train --set distributed.workers=1 --set distributed.train.maxSteps=4
run_pod "$scratch/train.log" --network none "$image" train "${args[@]}"
rc=$?
adapter=$(ls "$vol/train/adapter_model.safetensors" 2>/dev/null | sed "s|^$vol|$pvc|")
check train "exit $rc, ${adapter:-no adapter written}" [ "$rc" = 0 -a -n "$adapter" ]

# (d) docker stop once the first loss is logged; then the same command resumes and finishes
worker_args sigterm --set distributed.workers=1 --set distributed.train.maxSteps=40
docker run -d --name "$prefix-sigterm" --network none "${pod[@]}" "$image" train "${args[@]}" >/dev/null
for _ in $(seq 1 300); do
  docker logs "$prefix-sigterm" 2>&1 | grep -q "'loss'" && break
  [ "$(docker inspect -f '{{.State.Running}}' "$prefix-sigterm")" = true ] || break
  sleep 1
done
docker stop -t 60 "$prefix-sigterm" >/dev/null
rc=$(docker inspect -f '{{.State.ExitCode}}' "$prefix-sigterm")
docker logs "$prefix-sigterm" >"$scratch/sigterm.log" 2>&1
checkpoint=$(ls -d "$vol"/sigterm/checkpoint-* 2>/dev/null | tail -n 1)
stopped=$(grep -o 'stopped by SIGTERM at step [0-9]*' "$scratch/sigterm.log")
check sigterm "exit $rc, ${stopped:-no stop line}, ${checkpoint#"$vol"/}" [ "$rc" = 143 -a -n "$checkpoint" ]

run_pod "$scratch/resume.log" --network none "$image" train "${args[@]}"
rc=$?
resumed=$(grep -o 'resuming from [^ ]* at step [0-9]*' "$scratch/resume.log" | sed "s|$pvc/||")
steps=$(grep -o '"global_step": *[0-9]*' "$vol/sigterm/trainer_state.json" 2>/dev/null | head -n 1 | tr -dc 0-9)
check resume "exit $rc, ${resumed:-no resume line}, global_step ${steps:-?} of 40" \
  [ "$rc" = 0 -a -n "$resumed" -a "$steps" = 40 ]

# (e) Master + 1 Worker in two network namespaces, with the environment the PyTorchJob controller sets
worker_args two-ranks --set distributed.workers=2 --set distributed.train.maxSteps=4
docker network create "$prefix-net" >/dev/null
port=23456
for rank in 0 1; do
  docker run -d --name "$prefix-rank$rank" --hostname "$prefix-rank$rank" --network "$prefix-net" \
    "${pod[@]}" -e MASTER_ADDR="$prefix-rank0" -e MASTER_PORT=$port -e WORLD_SIZE=2 -e RANK=$rank \
    -e PET_MASTER_ADDR="$prefix-rank0" -e PET_MASTER_PORT=$port -e PET_NNODES=2 -e PET_NODE_RANK=$rank \
    -e PET_NPROC_PER_NODE=1 "$image" train "${args[@]}" >/dev/null
done
codes=()
for rank in 0 1; do
  codes+=("$(timeout 600 docker wait "$prefix-rank$rank")")
  docker logs "$prefix-rank$rank" >"$scratch/rank$rank.log" 2>&1
done
world=$(grep -o 'distributed: [0-9]* processes ([^)]*), coordinator [^ ]*' "$scratch/rank0.log" | head -n 1)
check two-ranks "exits ${codes[*]}; ${world:-no distributed line}" \
  [ "${codes[*]}" = "0 0" -a -s "$vol/two-ranks/adapter_model.safetensors" ]
[ "${codes[*]}" = "0 0" ] || tail -n 15 "$scratch"/rank*.log | sed 's/^/    /'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
