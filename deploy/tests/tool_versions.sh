# Pinned versions of the chart validation tools; sourced by scripts/install-chart-tools.sh (which
# installs them) and by deploy/tests/*.sh (which find them). Change a pin here and re-run the install.
HELM_VERSION=v3.19.5
KUBECONFORM_VERSION=v0.7.0
# The kubernetes-validate package on PyPI ships the Kubernetes OpenAPI schemas as JSON schema files;
# only those data files are used (kubeconform validates), for this Kubernetes version.
K8S_SCHEMAS_PACKAGE_VERSION=1.37.0
K8S_VERSION=1.33.0

CHART_TOOLS_DIR=${FT_CHART_TOOLS_DIR:-${HOME}/.cache/finetune.cpp/chart-tools}
HELM_BIN=$CHART_TOOLS_DIR/helm-$HELM_VERSION/helm
KUBECONFORM_BIN=$CHART_TOOLS_DIR/kubeconform-$KUBECONFORM_VERSION/kubeconform
K8S_SCHEMAS_DIR=$CHART_TOOLS_DIR/k8s-schemas-$K8S_VERSION-strict
