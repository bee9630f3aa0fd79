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
expect 'automountServiceAccountToken: false' "defaults: no API token in the pods"
expect 'fsGroupChangePolicy: OnRootMismatch' "defaults: fsGroup without re-owning the volume at each start"
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

render -f "$chart/ci/reference-layout-values.yaml" --show-only templates/pytorchjob.yaml
expect_not 'runAsUser' "reference layout: null securityContext fields left out"
render -f "$chart/ci/reference-layout-values.yaml" --show-only templates/dataaccess.yaml
expect 'runAsUser: 1000' "reference layout: the data-access pod (busybox is root) gets a non-root uid"
render -f "$chart/ci/reference-layout-values.yaml"
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
expect 'mode: 288' "the token file is 0440 (the pod's fsGroup reads it)"
expect "token: \"$(printf hf_abc | base64)\"" "--set-file secret.token"
# Numbers from a values file are float64 to Helm: whole ones were printed as 2.0240101e+07.
printf 'distributed:\n  train:\n    seed: 20240101\n    maxSteps: 20000000\n    learningRate: 0.0002\n' >"$scratch/numbers.yaml"
render -f "$scratch/numbers.yaml"
expect '"--seed=20240101"' "seed from a values file"
expect '"--max_steps=20000000"' "maxSteps from a values file"
expect '"--learning_rate=0.0002"' "learningRate from a values file"

# Kubernetes expands $(VAR) and folds $$ in args: each $ is doubled to arrive as written.
render --set-string 'distributed.train.promptWithInput=costs $(HOME) or $$5' --set 'distributed.extraArgs={--gradient_checkpointing=true,--system_prompt=$x}'
expect '"--prompt_with_input=costs \$\$\(HOME\) or \$\$\$\$5"' "dollar signs in a flag value"
expect '"--gradient_checkpointing=true"' "distributed.extraArgs"
expect '"--system_prompt=\$\$x"' "distributed.extraArgs with a dollar sign"

# Requests and limits written differently but equal are one quantity (4 and 4000m were refused).
render --set-string resources.cpuRequest=4 --set-string resources.cpuLimit=4000m \
  --set-string resources.memoryRequest=1Gi --set-string resources.memoryLimit=1024Mi
expect 'cpu: "4000m"' "cpuRequest 4 with cpuLimit 4000m"
expect 'memory: "1024Mi"' "memoryRequest 1Gi with memoryLimit 1024Mi"

# OMP_NUM_THREADS follows the CPU quota in every notation (it was left unset for 1500m and 2.5).
for cpu in 1500m:1 2.5:2 2000m:2 8:8 500m:1; do
  render --set-string "resources.cpu=${cpu%%:*}"
  grep -A1 'name: OMP_NUM_THREADS' "$scratch/out.yaml" | grep -q "value: \"${cpu##*:}\"" ||
    fail "resources.cpu=${cpu%%:*}: OMP_NUM_THREADS is not ${cpu##*:}"
done
# The Trainer v2 form: a TrainJob on the chart's own TrainingRuntime, created first (a hook), with
# the same pod and trainer command; the torch runtime finds the trainer container by the name node.
render --set job.kind=TrainJob
expect_not 'kind: PyTorchJob' "TrainJob form"
expect '^kind: TrainJob' "TrainJob form"
expect '^kind: TrainingRuntime' "TrainJob form: its runtime"
expect 'helm.sh/hook: pre-install$' "TrainJob form: the runtime exists before the TrainJob (and is not replaced on upgrade)"
expect '^    name: t-runtime' "TrainJob form: runtimeRef"
expect '^    numNodes: 4' "TrainJob form: one node per worker"
expect '^    numProcPerNode: 1' "TrainJob form: one process per pod"
expect '^  activeDeadlineSeconds: 259200' "TrainJob form"
expect '^                    - name: node' "TrainJob form: container named node"
expect 'restartPolicy: Never' "TrainJob form: pods are not restarted in place"
expect 'backoffLimit: 0' "TrainJob form: a failed pod fails its Job"
expect 'maxRestarts: 3' "TrainJob form: backoffLimit restarts of the group"
expect 'restartStrategy: BlockingRecreate' "TrainJob form"
expect 'values: \[1, 2, 3, .*, 126, 127\]' "TrainJob form: exit codes 1-127 are permanent"
expect 'onJobFailureReasons: \[PodFailurePolicy\]' "TrainJob form: permanent errors fail the JobSet"
expect '"--resume_from_checkpoint=auto"' "TrainJob form: the trainer command"
expect 'claimName: t-pvc' "TrainJob form: the shared volume"
# JobSet's webhook takes rule names of letters, digits, _ , : only (a '-' kept the job from starting).
rules=$(grep -B1 '^ *action: \(FailJobSet\|RestartJobSet\)' "$scratch/out.yaml" | sed -n 's/^ *- name: //p')
[ -n "$rules" ] || fail "TrainJob form: no failure policy rule found"
for rule in $rules; do
  [[ $rule =~ ^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$ ]] || fail "TrainJob form: JobSet refuses the rule name '$rule'"
done
render --set job.kind=TrainJob --set job.restartPolicy=Never --set job.suspend=true
expect 'maxRestarts: 0' "TrainJob form, restartPolicy Never"
expect_not 'podFailurePolicy|onJobFailureReasons' "TrainJob form, restartPolicy Never"
expect '^  suspend: true' "TrainJob form, job.suspend"
render --set job.kind=TrainJob --set job.restartPolicy=OnFailure
expect 'maxRestarts: 3' "TrainJob form, restartPolicy OnFailure"
expect_not 'podFailurePolicy|onJobFailureReasons' "TrainJob form, restartPolicy OnFailure: every exit restarts"
# The same arguments in both forms.
render; trainer_args "$scratch/out.yaml" >"$scratch/pytorchjob.args"
render --set job.kind=TrainJob --show-only templates/trainingruntime.yaml
trainer_args "$scratch/out.yaml" >"$scratch/trainjob.args"
grep -qa -- '--model_name_or_path=' "$scratch/trainjob.args" || fail "no trainer arguments found in the TrainingRuntime"
cmp -s "$scratch/pytorchjob.args" "$scratch/trainjob.args" || fail "the TrainJob's trainer arguments differ from the PyTorchJob's"

# On an existing runtime: no TrainingRuntime of its own; the TrainJob carries the image, command,
# arguments and resources, and patches the pod (volumes, security, scheduling) into the runtime.
render --set job.kind=TrainJob --set job.trainJobRuntime.name=torch-distributed \
  --set 'resources.tolerations[0].key=dedicated' --set 'resources.tolerations[0].operator=Exists'
expect_not 'kind: TrainingRuntime$' "TrainJob on an existing runtime"
expect '^    kind: ClusterTrainingRuntime' "TrainJob on an existing runtime: runtimeRef kind"
expect '^    name: torch-distributed' "TrainJob on an existing runtime: runtimeRef name"
expect '^    image: "finetune:0.1.0"' "TrainJob on an existing runtime: image"
expect 'command: \["/usr/bin/tini", "-g", "--", "/usr/local/bin/finetune"\]' "TrainJob on an existing runtime: the image's entrypoint"
expect '^    resourcesPerNode:' "TrainJob on an existing runtime: Guaranteed resources"
expect 'manager: finetune.cpp/helm-chart' "TrainJob on an existing runtime: runtime patch"
expect '^                          - name: node' "TrainJob on an existing runtime: the patched container"
expect 'claimName: t-pvc' "TrainJob on an existing runtime: the shared volume"
expect 'key: dedicated' "TrainJob on an existing runtime: tolerations"
expect 'readOnlyRootFilesystem: true' "TrainJob on an existing runtime: container security"
trainer_args "$scratch/out.yaml" >"$scratch/external.args"
cmp -s "$scratch/pytorchjob.args" "$scratch/external.args" || fail "the TrainJob's own trainer arguments differ from the PyTorchJob's"

render --set 'resources.tolerations[0].key=dedicated' --set 'resources.tolerations[0].operator=Exists' \
  --set 'resources.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey=kubernetes.io/hostname'
expect '^          tolerations:' "resources.tolerations"
expect 'key: dedicated' "resources.tolerations"
expect 'topologyKey: kubernetes.io/hostname' "resources.affinity"
echo "chart_render: all checks passed"
