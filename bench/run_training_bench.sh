#!/usr/bin/env bash
# End-to-end LoRA training benchmark, ours against PyTorch + transformers + peft, in one
# invocation on one machine (issue #9): tokens/s and peak RSS per workload, ours/theirs ratios,
# the GEMM roofline of each workload's shapes and the model FLOPs utilisation. `make bench` runs it.
#
#   bench/run_training_bench.sh [--quick] [--only tinyllama2,llama7b2,smollm2] [--lora qv,all]
#       [--dtype bf16,fp32] [--batch N] [--seq N] [--steps N] [--warmup N] [--ours-only]
#       [--theirs-only] [--theirs-dtype LIST] [--prompt PCT] [--out results.jsonl] [--dry-run]
#
# Default plan (about 35 minutes on a quiet 2-core AVX2 VM), sequence 512, 1 warm-up + 3 timed
# steps, the median reported (single steps of one binary vary by ±10% on a shared VM):
#   tinyllama2  batch 8, LoRA q,v and all-linear, bf16 and fp32
#   llama7b2    batch 2 (one step at batch 8 takes minutes here), LoRA q,v, bf16 and fp32
#   smollm2     batch 8, LoRA q,v, bf16 and fp32
# --only/--lora/--batch replace the plan's choices for every workload. Theirs runs fp32 only
# when the CPU lacks AVX-512 (torch 1.13's bf16 matmul is then a scalar loop, ~0.4 GFLOP/s:
# one step would take hours); --theirs-dtype overrides. --quick: a toy shape, 1 step, seconds.
# --prompt PCT masks the first PCT% of every sequence's labels on both sides (default 0: every
# token trained), as instruction data masks its prompts. --dry-run prints the plan (each side's
# workloads and dtypes) and exits without building or running anything.
# Environment: FT_BUILD_DIR (default build), FT_TOOLS_VENV (scripts/setup-python-tools.sh),
# OMP_WAIT_POLICY (default PASSIVE). Results go to --out (default bench-results/<UTC time>.jsonl).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="${FT_BUILD_DIR:-$root/build}"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
only="" lora="" dtype="bf16,fp32" batch="" seq=512 steps=3 warmup=1 quick=0 ours=1 theirs=1
theirs_dtype="" out="" prompt=0 dry_run=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --only) only="$2"; shift ;;
    --lora) lora="$2"; shift ;;
    --dtype) dtype="$2"; shift ;;
    --batch) batch="$2"; shift ;;
    --seq) seq="$2"; shift ;;
    --steps) steps="$2"; shift ;;
    --warmup) warmup="$2"; shift ;;
    --ours-only) theirs=0 ;;
    --theirs-only) ours=0 ;;
    --theirs-dtype) theirs_dtype="$2"; shift ;;
    --prompt) prompt="$2"; shift ;;
    --out) out="$2"; shift ;;
    --dry-run) dry_run=1 ;;
    *) echo "run_training_bench: unknown flag $1 (see the header of $0)" >&2; exit 1 ;;
  esac
  shift
done
out="${out:-$root/bench-results/$(date -u +%Y%m%dT%H%M%SZ).jsonl}"

# A comma list without its bf16 entry (empty when bf16 was all of it).
without_bf16() { tr ',' '\n' <<<"$1" | grep -v bf16 | paste -sd, - || true; }
no_theirs_dtype="no dtype left (bf16 runs only with AVX-512; --theirs-dtype overrides)"

# One plan entry per workload: name, LoRA sets, batch.
if [ "$quick" = 1 ]; then
  plan=("tiny ${lora:-qv,all} ${batch:-2}")
  seq=32 steps=1 warmup=0
else
  plan=()
  for w in ${only//,/ }; do plan+=("$w ${lora:-qv,all} ${batch:-8}"); done
  [ -n "$only" ] || plan=("tinyllama2 ${lora:-qv,all} ${batch:-8}" "llama7b2 ${lora:-qv} ${batch:-2}"
                          "smollm2 ${lora:-qv} ${batch:-8}")
fi
if [ -z "$theirs_dtype" ]; then
  theirs_dtype="$dtype"
  if ! grep -qw avx512bw /proc/cpuinfo; then
    theirs_dtype="$(without_bf16 "$dtype")"
    [ "$quick" = 1 ] && theirs_dtype="$dtype"  # the toy shape is quick even on the scalar path
  fi
fi

if [ "$dry_run" = 1 ]; then
  for entry in "${plan[@]}"; do
    read -r w l b <<<"$entry"
    [ "$ours" = 1 ] && echo "ours: $w, LoRA $l, dtype $dtype, batch $b, seq $seq"
    if [ "$theirs" = 1 ] && [ -n "$theirs_dtype" ]; then
      echo "theirs: $w, LoRA $l, dtype $theirs_dtype, batch $b, seq $seq"
    elif [ "$theirs" = 1 ]; then
      echo "theirs: $w skipped: $no_theirs_dtype"
    fi
  done
  exit 0
fi
mkdir -p "$(dirname "$out")"
: >"$out"

echo "== $(date -u +%FT%TZ) $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   flags: $(grep -m1 -ow -E 'avx2|fma|avx512f|avx512bw|avx512_bf16|avx512_fp16|amx_bf16|amx_tile' /proc/cpuinfo | sort -u | paste -sd' ' -)"
echo "   OMP_NUM_THREADS=${OMP_NUM_THREADS:-(unset)} OMP_WAIT_POLICY=$OMP_WAIT_POLICY; results: $out"

if [ "$ours" = 1 ]; then
  export CCACHE_BASEDIR="$root"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFT_WERROR=ON >/dev/null
  cmake --build "$build" --target bench_train_step >/dev/null
  for entry in "${plan[@]}"; do
    read -r w l b <<<"$entry"
    echo "== ours: $w, LoRA $l, dtype $dtype, batch $b, seq $seq"
    "$build/bench_train_step" --only "$w" --lora "$l" --dtype "$dtype" --batch "$b" --seq "$seq" \
      --steps "$steps" --warmup "$warmup" --prompt "$prompt" | tee -a "$out" | grep -v '"kind": *"gemm"' || true
  done
fi

[ "$theirs" = 1 ] && [ -z "$theirs_dtype" ] &&
  echo "   theirs skipped: $no_theirs_dtype"
if [ "$theirs" = 1 ] && [ -n "$theirs_dtype" ]; then
  venv="${FT_TOOLS_VENV:-$root/.venv-training}"
  if FT_TOOLS_VENV="$venv" "$root/scripts/setup-python-tools.sh"; then
    # Debian's torch links libblas.so.3: the reference BLAS unless OpenBLAS is installed (then
    # chosen here without changing the system's alternative). OpenMP build first: it shares
    # torch's thread pool.
    blas=""
    for d in openblas-openmp openblas-pthread; do
      [ -e "/usr/lib/x86_64-linux-gnu/$d/libblas.so.3" ] && { blas="/usr/lib/x86_64-linux-gnu/$d"; break; }
    done
    [ -n "$blas" ] || echo "   no OpenBLAS (apt-get install libopenblas0-openmp): torch's fp32 runs on the reference BLAS"
    # OpenBLAS picks kernels from CPUID; a VM that hides the CPU model gets slow generic ones.
    # When it names a core other than what the flags imply, fp32 also runs with OPENBLAS_CORETYPE.
    coretypes=("")
    if [ -n "$blas" ]; then
      want=Haswell
      grep -qw avx512f /proc/cpuinfo && want=SkylakeX
      got="$(LD_LIBRARY_PATH="$blas" "$venv/bin/python" -c 'import ctypes
l = ctypes.CDLL("libopenblas.so.0"); l.openblas_get_corename.restype = ctypes.c_char_p
print(l.openblas_get_corename().decode())')"
      echo "   OpenBLAS ($blas) detects core $got"
      case "$got" in
        Haswell|Zen|SkylakeX|Cooperlake|SapphireRapids) ;;
        *) coretypes+=("$want") ;;
      esac
    fi
    for entry in "${plan[@]}"; do
      read -r w l b <<<"$entry"
      for ct in "${coretypes[@]}"; do
        dts="$theirs_dtype"
        [ -n "$ct" ] && dts="$(without_bf16 "$theirs_dtype")"
        [ -n "$dts" ] || continue
        echo "== theirs: $w, LoRA $l, dtype $dts, batch $b, seq $seq${ct:+, OPENBLAS_CORETYPE=$ct}"
        env ${blas:+LD_LIBRARY_PATH="$blas"} ${ct:+OPENBLAS_CORETYPE="$ct"} \
          "$venv/bin/python" "$root/tools/bench_pytorch.py" --only "$w" --lora "$l" --dtype "$dts" \
          --batch "$b" --seq "$seq" --steps "$steps" --warmup "$warmup" --prompt "$prompt" | tee -a "$out" || true
      done
    done
  else
    echo "   no transformers/peft venv: theirs skipped"
  fi
fi

echo "== $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)"
"${FT_PYTHON:-/usr/bin/python3}" "$root/tools/bench_report.py" "$out"
