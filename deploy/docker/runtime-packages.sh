#!/usr/bin/env bash
# Prints, one a line, the Debian packages that own the shared libraries BINARY loads (per ldd), so
# the runtime image installs exactly those. Resolves symlinks such as /etc/alternatives (libblas) and
# the merged-/usr aliases (/lib vs /usr/lib) that dpkg records under one name only.
#   deploy/docker/runtime-packages.sh build/finetune
set -euo pipefail
binary=${1:?usage: runtime-packages.sh BINARY}

owner() {  # the package owning library path $1, trying the names dpkg may have recorded
  local path=$1 real candidate
  real=$(realpath "$path")
  for candidate in "$path" "$real" "${path#/usr}" "/usr$path" "${real#/usr}" "/usr$real"; do
    dpkg-query -S "$candidate" 2>/dev/null | sed -n '1s/: .*//p' | tr ', ' '\n\n' | grep . && return 0
  done
  echo "runtime-packages: no Debian package owns $path ($real)" >&2
  return 1
}

ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
  while read -r lib; do owner "$lib"; done | sed 's/:amd64$//; s/:arm64$//' | sort -u
