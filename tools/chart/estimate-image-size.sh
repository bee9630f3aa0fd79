#!/usr/bin/env bash
# Estimates what deploy/docker/Dockerfile adds to debian:12-slim, without Docker: the Installed-Size
# of the runtime packages and their dependencies that the base does not already have (taken as the
# packages of Priority required and apt, with their dependencies), plus the stripped binary. Run on Debian 12 after
# `apt-get update`:  tools/chart/estimate-image-size.sh [path/to/finetune]
set -euo pipefail
runtime=(libdnnl2 libsentencepiece0 libpcre2-8-0 libutf8proc2 libyaml-cpp0.7 libcurl4 libgloo0
         libgomp1 ca-certificates tini)
index=$(mktemp)
trap 'rm -f "$index"' EXIT
# package priority installed-size(KiB), one line per package (first record wins)
apt-cache dumpavail | awk '/^Package:/ {p=$2} /^Priority:/ {pr=$2} /^Installed-Size:/ {s=$2}
  /^$/ {if (p != "" && !(p in seen)) {print p, pr, s; seen[p]=1} p=""; pr=""; s=0}' >"$index"

closure() {
  apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
    --no-enhances "$@" | grep -E '^[a-z0-9]' | sort -u
}
mapfile -t required < <(awk '$2 == "required" {print $1}' "$index")
closure "${required[@]}" apt >"$index.base"
closure "${runtime[@]}" | comm -23 - "$index.base" >"$index.extra"
sum() { awk 'NR == FNR {want[$1]=1; next} $1 in want {s+=$3} END {print s+0}' "$1" "$index"; }
extra_kib=$(sum "$index.extra")
echo "runtime packages debian:12-slim lacks:" $(cat "$index.extra")
rm -f "$index.base" "$index.extra"

binary_kib=0
if [ -n "${1:-}" ]; then
  stripped=$(mktemp)
  strip -o "$stripped" "$1"
  binary_kib=$(( $(stat -c %s "$stripped") / 1024 ))
  rm -f "$stripped"
fi
mib() { echo $(( ($1 + 512) / 1024 )); }
echo "runtime packages added:     $(mib "$extra_kib") MiB"
echo "finetune binary (stripped): $(mib "$binary_kib") MiB"
echo "added to debian:12-slim:    $(mib $((extra_kib + binary_kib))) MiB (uncompressed)"
