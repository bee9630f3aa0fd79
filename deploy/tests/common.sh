# Shared by the chart tests (sourced): where the chart and the tools are, how to skip or fail, and how
# to read the trainer arguments out of a rendered PyTorchJob. Tests exit 77 to SKIP (ctest
# SKIP_RETURN_CODE); a missing helm or kubeconform is a failure under CI=true, where the bootstrap
# installs them.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
chart=$repo/deploy/helm/finetune
# shellcheck source=tool_versions.sh
source "$repo/deploy/tests/tool_versions.sh"
shared=${FT_SHARED_DIR:-$repo/../shared}
SKIP=77

skip() { echo "SKIP: $*"; exit $SKIP; }
fail() { echo "FAIL: $*" >&2; exit 1; }

# require_tool <name> <pinned path>: the pinned build, else one on PATH, as a shell function <name>.
require_tool() {
  local path=$2
  [ -x "$path" ] || path=$(command -v "$1" || true)
  if [ -z "$path" ]; then
    local msg="$1 not found (run scripts/install-chart-tools.sh, which installs it into $CHART_TOOLS_DIR)"
    [ "${CI:-}" = "true" ] && fail "$msg"
    skip "$msg"
  fi
  if [ "$1" = helm ]; then
    helm_path=$path
    # Pin the Kubernetes version: a helm built with plain `go install` defaults to an old one.
    helm() {
      case $1 in
        template|lint) "$helm_path" "$1" --kube-version "$K8S_VERSION" "${@:2}" ;;
        *) "$helm_path" "$@" ;;
      esac
    }
  else
    eval "$1() { \"$path\" \"\$@\"; }"
  fi
}

scratch=$(mktemp -d "${TMPDIR:-/tmp}/chart-test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

values_files() {  # every values file the chart ships, examples first
  ls "$chart"/*_values.yaml "$chart"/ci/*.yaml
}

# json_unquote <"json string">: the text of one JSON string literal as helm's toJson writes it.
json_unquote() {
  local s=${1#\"} out='' hex
  s=${s%\"}
  while [ -n "$s" ]; do
    case $s in
      '\"'*) out+='"'; s=${s:2} ;;
      '\\'*) out+='\'; s=${s:2} ;;
      '\/'*) out+='/'; s=${s:2} ;;
      '\n'*) out+=$'\n'; s=${s:2} ;;
      '\t'*) out+=$'\t'; s=${s:2} ;;
      '\r'*) out+=$'\r'; s=${s:2} ;;
      '\u'????*) hex=${s:2:4}; out+=$(printf "\\u$hex"); s=${s:6} ;;
      *) out+=${s:0:1}; s=${s:1} ;;
    esac
  done
  printf '%s' "$out"
}

# trainer_args <rendered pytorchjob.yaml>: the first container's args, NUL-separated.
trainer_args() {
  local line indent='' item
  while IFS= read -r line; do
    if [ -z "$indent" ]; then
      [[ $line =~ ^([[:space:]]*)args:$ ]] && indent="${BASH_REMATCH[1]}  - "
      continue
    fi
    [[ $line == "$indent"* ]] || break
    item=${line#"$indent"}
    [[ $item == \"* ]] && item=$(json_unquote "$item")
    printf '%s\0' "$item"
  done < "$1"
}

# The trainer binary and stand-ins for what the examples fetch from the Hub (model, dataset), for the
# tests that run rendered commands. Skips while `finetune train` does not exist yet.
require_trainer() {
  finetune=${FT_BINARY:-$repo/build/finetune}
  [ -x "$finetune" ] || fail "trainer binary $finetune not found (set FT_BINARY)"
  # The top-level --help exits 0 even without a train command, so look for one of its flags.
  "$finetune" train --help 2>&1 | grep -- --model_name_or_path >/dev/null ||
    skip "'$finetune train --help' shows no --model_name_or_path: the train command is not built yet, so rendered worker commands cannot be run"
  standin_model=$shared/models/stories260k
  [ -f "$standin_model/config.json" ] || skip "$standin_model not found (../shared absent): no stand-in model"
  pvc=$scratch/pvc   # stands in for the shared volume mounted at /tmp/pvc-mount
  mkdir -p "$pvc/dataset"
  standin_data=$pvc/dataset/standin-alpaca.json
  {
    echo '['
    for i in $(seq 1 40); do
      printf '{"instruction": "Name fact %d about the heart.", "input": "%s", "output": "The heart has %d parts."}' \
        "$i" "$([ $((i % 2)) -eq 0 ] && echo "Context $i." || true)" "$i"
      [ "$i" -lt 40 ] && echo ',' || echo
    done
    echo ']'
  } >"$standin_data"
  cp "$standin_data" "$pvc/dataset/financial-alpaca.json"
}

# local_args <rendered pytorchjob.yaml>: the trainer args with the volume, model and Hub dataset
# replaced by their local stand-ins, into the array `args` (without the leading "train").
local_args() {
  local a
  args=()
  while IFS= read -r -d '' a; do
    case $a in
      --model_name_or_path=*) a=--model_name_or_path=$standin_model ;;
      --dataset_name=*) a=--train_file=$standin_data ;;
      *) a=${a//\/tmp\/pvc-mount/$pvc} ;;
    esac
    args+=("$a")
  done < <(trainer_args "$1")
  [ "${args[0]:-}" = train ] || fail "rendered args do not start with 'train': ${args[*]:0:3}"
  args=("${args[@]:1}")
}
