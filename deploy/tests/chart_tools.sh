#!/usr/bin/env bash
# ctest fixture for the chart tests. Under CI=true it installs the pinned helm, kubeconform and
# Kubernetes schemas (idempotent: instant when present), so CI never depends on a hand-installed tool;
# elsewhere it only reports what the other chart tests will find.
source "$(dirname "$0")/common.sh"
if [ "${CI:-}" = "true" ]; then
  "$repo/scripts/install-chart-tools.sh"
fi
for tool in "$HELM_BIN" "$KUBECONFORM_BIN" "$K8S_SCHEMAS_DIR/_definitions.json"; do
  if [ -e "$tool" ]; then echo "found $tool"; else echo "missing $tool (scripts/install-chart-tools.sh installs it)"; fi
done
