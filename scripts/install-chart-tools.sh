#!/usr/bin/env bash
# Installs the pinned tools that check the Helm chart without a cluster (tests/chart.cmake): helm and
# kubeconform built with `go install` through the Go module proxy, and the Kubernetes JSON schemas
# taken from a pinned PyPI package (data only). Idempotent: each tool lives in a directory named after
# its version ($FT_CHART_TOOLS_DIR, default ~/.cache/finetune.cpp/chart-tools) and is skipped when
# present. Without go or pip it says so and exits 0 (the chart tests then skip), except under CI=true.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../deploy/tests/tool_versions.sh
source "$root/deploy/tests/tool_versions.sh"

missing_prerequisite() {
  echo "install-chart-tools: $1 not found; the chart tests will skip (install $2 and re-run this script)" >&2
  if [ "${CI:-}" = "true" ]; then exit 1; fi
  exit 0
}

go_install() {  # go_install <binary path> <module/cmd path>@<version>
  local bin=$1 package=$2
  [ -x "$bin" ] && return 0
  command -v go >/dev/null || missing_prerequisite go "Go (Debian: golang-go)"
  echo "install-chart-tools: building $package (takes a few minutes once)"
  local start=$SECONDS
  GOBIN=$(dirname "$bin").tmp GOFLAGS="-p=2 -buildvcs=false" CGO_ENABLED=0 go install "$package"
  mv "$(dirname "$bin").tmp" "$(dirname "$bin")"
  echo "install-chart-tools: $(basename "$bin") ready in $((SECONDS - start)) s"
}

install_k8s_schemas() {
  [ -f "$K8S_SCHEMAS_DIR/_definitions.json" ] && return 0
  command -v python3 >/dev/null && python3 -m pip --version >/dev/null 2>&1 ||
    missing_prerequisite "python3 -m pip" "python3-pip"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  python3 -m pip download --quiet --no-deps --dest "$work" \
    "kubernetes-validate==$K8S_SCHEMAS_PACKAGE_VERSION"
  local prefix="kubernetes_validate/kubernetes-json-schema/v$K8S_VERSION-local-strict/"
  python3 -m zipfile -e "$work"/kubernetes_validate-*.whl "$work/x" 2>/dev/null ||
    { echo "install-chart-tools: cannot unpack the kubernetes-validate wheel" >&2; exit 1; }
  [ -d "$work/x/$prefix" ] ||
    { echo "install-chart-tools: the wheel has no $prefix; fix K8S_VERSION in deploy/tests/tool_versions.sh" >&2; exit 1; }
  # The files name their definitions by an https $id; make the references relative so kubeconform
  # resolves them on disk instead of trying the network.
  sed -i -e 's#"\$ref": "/api/_definitions.json\##"$ref": "_definitions.json\##g' \
         -e 's#"\$id": "https://kubernetes.io/#"x-upstream-id": "https://kubernetes.io/#' \
         "$work/x/$prefix"*.json
  mkdir -p "$CHART_TOOLS_DIR"
  rm -rf "$K8S_SCHEMAS_DIR"
  mv "$work/x/$prefix" "$K8S_SCHEMAS_DIR"
  echo "install-chart-tools: Kubernetes $K8S_VERSION schemas ready"
}

mkdir -p "$CHART_TOOLS_DIR"
go_install "$HELM_BIN" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
go_install "$KUBECONFORM_BIN" "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"
install_k8s_schemas
