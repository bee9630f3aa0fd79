#!/usr/bin/env bash
# Fetches Intel MKL for the optional "mkl" GEMM engine (issue #9): the pinned PyPI wheel mkl-static
# (checked against its SHA-256), its static libraries unpacked into DIR/lib (default
# .deps/mkl-2026.2.0). Only benchmarks need it; the default build never links MKL.
#   scripts/fetch-mkl.sh [DIR]
#   cmake -S . -B build-mkl -G Ninja -DCMAKE_BUILD_TYPE=Release -DFT_MKL_ROOT=DIR
#   cmake --build build-mkl --target bench_gemm_engines && build-mkl/bench_gemm_engines
# pip runs in a throwaway venv (python3-venv), so it uses whatever index this machine's pip uses.
set -euo pipefail

version=2026.2.0
sha256=090e439bf202b45579c75d2ba50ff7ead05752d553a06aba79c3ed2b5247921b
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${1:-$root/.deps/mkl-$version}"
if [ -f "$dest/lib/libmkl_core.a" ]; then
  echo "$dest"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv" || {
  echo "fetch-mkl: python3 -m venv failed; install python3-venv (apt-get install python3-venv)" >&2
  exit 1
}
"$work/venv/bin/pip" download --quiet --no-deps --only-binary=:all: --platform manylinux_2_28_x86_64 \
  -d "$work/wheels" "mkl-static==$version"
wheel="$(ls "$work/wheels/mkl_static-$version-"*.whl)"
echo "$sha256  $wheel" | sha256sum --check --quiet || {
  echo "fetch-mkl: $wheel does not match its pinned SHA-256; refusing to use it" >&2
  exit 1
}
python3 -m zipfile -e "$wheel" "$work/unpacked"
mkdir -p "$dest/lib"
cp "$work/unpacked/mkl_static-$version.data/data/lib/"libmkl_{intel_lp64,gnu_thread,core}.a "$dest/lib/"
echo "$dest"
