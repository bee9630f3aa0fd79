#!/usr/bin/env bash
# Every values file's rendered manifests must pass kubeconform -strict against the Kubernetes
# schemas (offline copy installed by scripts/install-chart-tools.sh) and the PyTorchJob CRD's schema
# from ../shared/schemas (converted at test time; that part skips when ../shared is absent).
source "$(dirname "$0")/common.sh"
require_tool helm "$HELM_BIN"
require_tool kubeconform "$KUBECONFORM_BIN"
if [ ! -f "$K8S_SCHEMAS_DIR/_definitions.json" ]; then
  [ "${CI:-}" = "true" ] && fail "no Kubernetes schemas in $K8S_SCHEMAS_DIR (run scripts/install-chart-tools.sh)"
  skip "no Kubernetes schemas in $K8S_SCHEMAS_DIR (run scripts/install-chart-tools.sh)"
fi

locations=(-schema-location "$K8S_SCHEMAS_DIR/{{.ResourceKind}}{{.KindSuffix}}.json")
crd=$shared/schemas/kubeflow.org_pytorchjobs.yaml
if [ -f "$crd" ]; then
  cp -r "$repo/deploy/tests/crd-schema" "$scratch/crd-schema"
  cp "$crd" "$scratch/crd-schema/crd.yaml"
  mkdir -p "$scratch/schemas"
  helm template c "$scratch/crd-schema" --show-only templates/schema.json | sed '1,2d' \
    >"$scratch/schemas/pytorchjob_v1.json"
  locations+=(-schema-location "$scratch/schemas/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json")
  skip_kinds=()
else
  echo "SKIP (part): $crd not found; PyTorchJob manifests are not schema-checked"
  skip_kinds=(-skip PyTorchJob)
fi

for f in "" $(values_files); do
  out=$scratch/rendered.yaml
  helm template t "$chart" ${f:+-f "$f"} >"$out"
  kubeconform -strict -summary -kubernetes-version "$K8S_VERSION" "${locations[@]}" "${skip_kinds[@]}" "$out" ||
    fail "kubeconform rejected the manifests of ${f:-the default values}"
done

# The check itself must be able to fail: a misspelt field in the pod template is rejected.
helm template t "$chart" | sed 's/terminationGracePeriodSeconds:/terminationGracePeriodSecond:/' >"$scratch/bad.yaml"
if kubeconform -strict "${locations[@]}" "${skip_kinds[@]}" "$scratch/bad.yaml" >/dev/null 2>&1; then
  fail "kubeconform accepted a misspelt pod field"
fi
echo "chart_validate: all rendered manifests are valid"
