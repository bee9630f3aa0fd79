#!/usr/bin/env bash
# Every values file's rendered manifests must pass kubeconform -strict against the Kubernetes
# schemas (offline copy installed by scripts/install-chart-tools.sh) and the Kubeflow CRDs' schemas
# from ../shared/schemas (PyTorchJob, TrainJob, TrainingRuntime; converted at test time; that part
# skips when ../shared is absent).
source "$(dirname "$0")/common.sh"
require_tool helm "$HELM_BIN"
require_tool kubeconform "$KUBECONFORM_BIN"
if [ ! -f "$K8S_SCHEMAS_DIR/_definitions.json" ]; then
  [ "${CI:-}" = "true" ] && fail "no Kubernetes schemas in $K8S_SCHEMAS_DIR (run scripts/install-chart-tools.sh)"
  skip "no Kubernetes schemas in $K8S_SCHEMAS_DIR (run scripts/install-chart-tools.sh)"
fi

locations=(-schema-location "$K8S_SCHEMAS_DIR/{{.ResourceKind}}{{.KindSuffix}}.json")
# crd_schema <CRD file> <version> <kind>: the CRD's schema, strict, as <kind>_<version>.json.
crd_schema() {
  cp "$1" "$scratch/crd-schema/crd.yaml"
  helm template c "$scratch/crd-schema" --set version="$2" --show-only templates/schema.json | sed '1,2d' \
    >"$scratch/schemas/$3_$2.json"
}
if [ -f "$shared/schemas/kubeflow.org_pytorchjobs.yaml" ]; then
  cp -r "$repo/deploy/tests/crd-schema" "$scratch/crd-schema"
  mkdir -p "$scratch/schemas"
  crd_schema "$shared/schemas/kubeflow.org_pytorchjobs.yaml" v1 pytorchjob
  crd_schema "$shared/schemas/trainer.kubeflow.org_trainjobs.yaml" v1alpha1 trainjob
  # A namespaced TrainingRuntime has the ClusterTrainingRuntime's spec (../shared has only the latter).
  crd_schema "$shared/schemas/trainer.kubeflow.org_clustertrainingruntimes.yaml" v1alpha1 trainingruntime
  locations+=(-schema-location "$scratch/schemas/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json")
  skip_kinds=()
else
  echo "SKIP (part): $shared/schemas not found; PyTorchJob, TrainJob and TrainingRuntime manifests are not schema-checked"
  skip_kinds=(-skip PyTorchJob,TrainJob,TrainingRuntime)
fi

validate() {  # validate <what> <helm args...>
  local what=$1; shift
  helm template t "$chart" "$@" >"$scratch/rendered.yaml"
  kubeconform -strict -summary -kubernetes-version "$K8S_VERSION" "${locations[@]}" "${skip_kinds[@]}" \
    "$scratch/rendered.yaml" || fail "kubeconform rejected the manifests of $what"
}
for f in "" $(values_files); do
  validate "${f:-the default values}" ${f:+-f "$f"}
done
# The Trainer v2 form, for the defaults and the examples.
for f in "" "$chart"/*_values.yaml; do
  validate "${f:-the default values} as a TrainJob" ${f:+-f "$f"} --set job.kind=TrainJob
done
grep -q '^kind: TrainingRuntime' "$scratch/rendered.yaml" || fail "the TrainJob form rendered no TrainingRuntime"
validate "a TrainJob on an existing runtime" --set job.kind=TrainJob --set job.trainJobRuntime.name=torch-distributed \
  --set-file secret.token=<(printf 'hf_x\n') --set 'resources.tolerations[0].operator=Exists'

# The check itself must be able to fail: a misspelt field in the pod template is rejected, in the
# PyTorchJob and in the TrainingRuntime.
for kind in PyTorchJob TrainJob; do
  helm template t "$chart" --set job.kind=$kind |
    sed 's/terminationGracePeriodSeconds:/terminationGracePeriodSecond:/' >"$scratch/bad.yaml"
  if kubeconform -strict "${locations[@]}" "${skip_kinds[@]}" "$scratch/bad.yaml" >/dev/null 2>&1; then
    fail "kubeconform accepted a misspelt pod field ($kind form)"
  fi
done
echo "chart_validate: all rendered manifests are valid"
