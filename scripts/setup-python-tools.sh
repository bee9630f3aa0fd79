#!/usr/bin/env bash
# Creates the Python venv the tools/ checks run in (default .venv-training, shared with
# tools/gen_training_reference.py; FT_TOOLS_VENV overrides): Debian's CPU-only python3-torch 1.13
# seen through --system-site-packages (never torch from PyPI: its wheel pulls GBs of CUDA), plus
# the pinned packages of tools/requirements-transformers.txt and, with --no-deps,
# tools/requirements-training.txt. Idempotent and quick when every pin is already installed.
# Exit 0 when the venv is ready, 1 when it cannot be made (no network, no root for apt).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${FT_TOOLS_VENV:-$root/.venv-training}"
requirements=("$root/tools/requirements-transformers.txt" "$root/tools/requirements-training.txt")

# name==version pins of both files, one per line.
pins() { grep -hE '^[A-Za-z0-9_.-]+==' "${requirements[@]}" | sed 's/[[:space:]].*//'; }

venv_ready() {
  [ -x "$venv/bin/python" ] || return 1
  pins | "$venv/bin/python" -c '
import sys
from importlib.metadata import version, PackageNotFoundError
for line in sys.stdin:
    name, want = line.strip().split("==")
    try:
        if version(name) != want: sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
import importlib.util
sys.exit(importlib.util.find_spec("torch") is None)' 2>/dev/null
}

venv_ready && exit 0

if ! /usr/bin/python3 -c 'import torch, ensurepip' 2>/dev/null; then
  sudo=
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null && sudo -n true 2>/dev/null || {
      echo "setup-python-tools: python3-torch or python3-venv missing; run as root or" \
           "'sudo apt-get install python3-torch python3-venv'" >&2
      exit 1
    }
    sudo=sudo
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends python3-torch python3-venv python3-yaml python3-psutil
fi

echo "setup-python-tools: creating $venv (pinned transformers/peft over Debian's torch)"
[ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv --system-site-packages "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r "${requirements[0]}"
"$venv/bin/pip" install -q --disable-pip-version-check --no-deps -r "${requirements[1]}"
venv_ready || { echo "setup-python-tools: $venv is incomplete after installing" >&2; exit 1; }
