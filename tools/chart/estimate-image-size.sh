#!/usr/bin/env bash
# Estimates the runtime image of deploy/docker/Dockerfile without Docker: the Installed-Size of the
# runtime packages and their dependencies that debian:12-slim does not already have (taken as the
# packages of Priority required), plus the stripped finetune binary. Run on Debian 12 after
# `apt-get update`:  tools/chart/estimate-image-size.sh [path/to/finetune]
set -euo pipefail
runtime=(libdnnl2 libsentencepiece0 libpcre2-8-0 libutf8proc2 libyaml-cpp0.7 libcurl4 libgloo0 libgomp1
         ca-certificates tini)
field() { apt-cache show --no-all-versions "$1" 2>/dev/null | awk -v f="$2:" '$1 == f {print $2; exit}'; }

base_kib=0 extra_kib=0
while read -r pkg; do
  [ "$(field "$pkg" Priority)" = required ] && continue
  size=$(field "$pkg" Installed-Size)
  [ -n "$size" ] || continue   # a virtual package
  printf '%8s KiB  %s\n' "$size" "$pkg"
  extra_kib=$((extra_kib + size))
done < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
           --no-replaces --no-enhances "${runtime[@]}" | grep -E '^[a-z0-9]' | sort -u)
while read -r pkg; do
  size=$(field "$pkg" Installed-Size)
  base_kib=$((base_kib + ${size:-0}))
done < <(apt-cache dumpavail | awk '/^Package:/{p=$2} /^Priority: required/{print p}' | sort -u)

binary_kib=0
if [ -n "${1:-}" ]; then
  stripped=$(mktemp)
  strip -o "$stripped" "$1"
  binary_kib=$(( $(stat -c %s "$stripped") / 1024 ))
  rm -f "$stripped"
fi
mib() { echo $(( ($1 + 512) / 1024 )); }
echo "base (Priority: required packages, ~debian:12-slim): $(mib $base_kib) MiB"
echo "runtime packages added:                             $(mib $extra_kib) MiB"
echo "finetune binary (stripped):                         $(mib $binary_kib) MiB"
echo "estimated image size (uncompressed):                $(mib $((base_kib + extra_kib + binary_kib))) MiB"
