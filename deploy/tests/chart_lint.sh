#!/usr/bin/env bash
# helm lint --strict and helm template for the default values and every shipped values file, then
# the values schema and the chart's own checks must reject bad values with a message naming them.
source "$(dirname "$0")/common.sh"
require_tool helm "$HELM_BIN"

helm lint --strict "$chart" >/dev/null || { helm lint --strict "$chart"; fail "helm lint (default values)"; }
for f in $(values_files); do
  helm lint --strict "$chart" -f "$f" >"$scratch/lint.log" 2>&1 || { cat "$scratch/lint.log"; fail "helm lint -f $f"; }
  helm template t "$chart" -f "$f" >/dev/null || fail "helm template -f $f"
  echo "ok: $(basename "$f") lints and renders"
done

# expect_rejected <text the error must contain> <helm template arguments...>
expect_rejected() {
  local want=$1; shift
  if helm template t "$chart" "$@" >"$scratch/out" 2>&1; then
    fail "helm template $* was accepted; expected an error mentioning '$want'"
  fi
  grep -qF -- "$want" "$scratch/out" || { cat "$scratch/out"; fail "error for '$*' does not mention '$want'"; }
  echo "ok: rejected $* ($want)"
}
expect_rejected loraRnak --set distributed.train.loraRnak=8
expect_rejected nodeSelectr --set resources.nodeSelectr.x=y
expect_rejected workers --set distributed.workers=four
expect_rejected bf16 --set-string distributed.train.bf16=yes
expect_rejected learningRate --set-string distributed.train.learningRate=fast
expect_rejected pullPolicy --set image.pullPolicy=Sometimes
expect_rejected "Guaranteed QoS" --set resources.cpuRequest=4 --set resources.cpuLimit=8
expect_rejected doQuantize --set distributed.doQuantize=true
expect_rejected ddpBucketCapMb --set distributed.train.ddpBucketCapMb=0
expect_rejected distTimeout --set distributed.train.distTimeout=-5
expect_rejected "datasetName" --set distributed.train.datasetName=null
expect_rejected "minReplicas" --set elasticPolicy.enabled=true --set elasticPolicy.maxReplicas=2
# Each of these rendered a job that could not run or lost its results (QA of 2026-12-01).
expect_rejected "must both equal distributed.workers" --set elasticPolicy.enabled=true \
  --set elasticPolicy.minReplicas=2 --set elasticPolicy.maxReplicas=4
expect_rejected "lowercase letters" --set metadata.name=MyJob
expect_rejected "at most 40 characters" --set metadata.name=experiment-llama2-7b-medical-meadow-lr2e5-r8-run-1
expect_rejected "not on the shared volume" --set storage.pvcMountPath=/data
expect_rejected "outputDir" --set distributed.train.outputDir=saved_model
expect_rejected "use ReadWriteMany" --set storage.accessMode=ReadWriteOnce
expect_rejected "tag" -f <(printf 'image:\n  tag: 1.10\n')
expect_rejected "name" --set image.name=reg/finetune:0.2.0
expect_rejected "cpu" --set resources.cpu=-4
expect_rejected "memory" --set-string resources.memory=1.2.3Gi
expect_rejected "modelNameOrPath" -f <(printf 'distributed:\n  modelNameOrPath:\n')
expect_rejected "outputDir" -f <(printf 'distributed:\n  train:\n    outputDir:\n')
expect_rejected "runAsNonRoot" --set securityContext.runAsUser=0
expect_rejected "extraArgs" --set 'distributed.extraArgs={gradient_checkpointing}'
expect_rejected "secret.encodedToken is not base64" --set 'secret.encodedToken=not base64!'
expect_rejected "resources.cpuRequest (4) differs from resources.cpuLimit (8): set resources.cpu alone; requests must equal limits for Guaranteed QoS" \
  --set resources.cpuRequest=4 --set resources.cpuLimit=8
expect_rejected "resources.memoryRequest (1G) differs" --set-string resources.memoryRequest=1G \
  --set-string resources.memoryLimit=1Gi
expect_rejected "not both" --set secret.token=a --set secret.encodedToken=Yg==
# The Trainer v2 form: settings only a PyTorchJob has are refused, not dropped.
expect_rejected "job/kind" --set job.kind=MPIJob
expect_rejected "PyTorchJob's worker-only form" --set job.kind=TrainJob --set elasticPolicy.enabled=true
expect_rejected "job.restartPolicy Always" --set job.kind=TrainJob --set job.restartPolicy=Always
expect_rejected "job.cleanPodPolicy All" --set job.kind=TrainJob --set job.cleanPodPolicy=All
expect_rejected "use ReadWriteMany" --set job.kind=TrainJob --set storage.accessMode=ReadWriteOnce
expect_rejected "too long for a TrainJob of 4 workers" --set job.kind=TrainJob \
  --set metadata.name=experiment-llama2-7b-medical-meadow-lr2e
expect_rejected "trainJobRuntime" --set job.kind=TrainJob --set job.trainJobRuntime.kind=Runtime
expect_rejected "tolerations" --set resources.tolerations=none
echo "chart_lint: all checks passed"
