#!/usr/bin/env bash
# What the rendered manifests must say, beyond schema validity: no nulls, Guaranteed QoS, a
# read-only root with writable mounts, resume from the volume, ExitCode restarts with limits, the
# two job forms, and securityContext fields only when set.
source "$(dirname "$0")/common.sh"
require_tool helm "$HELM_BIN"

render() { helm template t "$chart" "$@" >"$scratch/out.yaml"; }
expect() { grep -qE -- "$1" "$scratch/out.yaml" || fail "$2: no line matches '$1'"; }
expect_not() { ! grep -qE -- "$1" "$scratch/out.yaml" || fail "$2: a line matches '$1'"; }

for f in "" $(values_files); do
  render ${f:+-f "$f"}
  expect_not ': (null|~|"")?$|<no value>' "${f:-defaults}: null or empty field"
  # Each container's requests block equals its limits block.
  awk '/^ *requests:$/ {mode="r"; r=""; next} /^ *limits:$/ {mode="l"; l=""; next}
       mode && /^ +(cpu|memory):/ {if (mode=="r") r=r $0; else l=l $0; next}
       mode=="l" {if (r!=l) bad=1; mode=""} mode {mode=""}
       END {exit bad}' "$scratch/out.yaml" || fail "${f:-defaults}: requests differ from limits"
done

render
expect 'readOnlyRootFilesystem: true' "defaults"
expect 'mountPath: /tmp$' "defaults: writable /tmp"
expect 'medium: Memory' "defaults: /dev/shm in memory"
expect 'sizeLimit: "4Gi"' "defaults: /dev/shm size limit"
expect '"--resume_from_checkpoint=auto"' "defaults"
expect '"--output_dir=/tmp/pvc-mount/output/saved_model"' "defaults: checkpoints on the volume"
expect 'restartPolicy: ExitCode' "defaults"
expect 'backoffLimit: 3' "defaults"
expect 'activeDeadlineSeconds: 259200' "defaults"
expect '^    Master:' "defaults: Master + Workers form"
expect 'replicas: 3$' "defaults: 4 workers = 1 Master + 3 Workers"
expect 'app.kubernetes.io/instance: t' "defaults: standard labels"
expect_not 'kind: Secret' "defaults: no token, no Secret"

render -f "$chart/ci/elastic-values.yaml"
expect_not 'Master:' "elastic"
expect 'rdzvBackend: c10d' "elastic"
expect 'replicas: 3$' "elastic: every pod a Worker"
expect 'claimName: shared-models' "elastic: existing claim"
expect_not 'kind: PersistentVolumeClaim' "elastic: existing claim"
expect 'secretName: hf-token' "elastic: existing Secret"
expect 'key: HF_TOKEN' "elastic: Secret key mounted as token"

render -f "$chart/ci/reference-layout-values.yaml"
expect_not 'runAsUser' "reference layout: null securityContext fields left out"
expect 'allowPrivilegeEscalation: false' "reference layout"
expect 'kind: Secret' "reference layout: encodedToken creates the Secret"
expect 'cpu: "8"' "reference layout: request/limit pair"
expect_not 'Worker:' "reference layout: one worker = Master only"
expect '"--use_ipex=true"' "reference layout: old-stack flags passed on"

render --set distributed.train.ddpBucketCapMb=100 --set distributed.train.distTimeout=120
expect '"--ddp_bucket_cap_mb=100"' "ddpBucketCapMb"
expect '"--dist_timeout=120"' "distTimeout"
render
expect_not 'ddp_bucket_cap_mb|dist_timeout' "defaults: trainer defaults for the bucket size and timeout"

render --set job.suspend=true
expect '^    suspend: true' "job.suspend"

render --set-file secret.token=<(printf 'hf_abc\n')
expect "token: \"$(printf hf_abc | base64)\"" "--set-file secret.token"
echo "chart_render: all checks passed"
