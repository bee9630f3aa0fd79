#!/usr/bin/env bash
# Installs the Debian 12 packages that building and testing finetune.cpp need. Idempotent: when
# everything is present it only checks. Run as root on a fresh machine (make demo / make test do).
set -euo pipefail

packages=(
  cmake ninja-build g++ make pkg-config git ca-certificates ccache
  libdnnl-dev            # GEMM: oneDNN matmul (AMX bf16 / AVX-512)
  ocl-icd-opencl-dev     # oneDNN's CMake config requires OpenCL, only a Recommends of libdnnl-dev
  libopenblas-openmp-dev # GEMM: OpenBLAS sgemm engine (OpenMP build: shares our thread pool)
  libsentencepiece-dev   # tokenizer.model
  libpcre2-dev           # tokenizer.json pre-tokenizer regexes (Unicode classes, lookahead)
  libutf8proc-dev        # tokenizer.json NFC normalizer (Qwen)
  nlohmann-json3-dev     # config.json, tokenizer.json, safetensors headers
  libcli11-dev           # command line
  libyaml-cpp-dev        # YAML config files
  libcurl4-openssl-dev   # Hugging Face Hub downloads
  libgloo-dev            # distributed all-reduce
  libgtest-dev libgmock-dev libbenchmark-dev
  libpng-dev             # tests: reads the report's Chromium screenshot (tests/report.cmake)
)
# Headless Chromium for ctest's report_chromium: about 116 MB to download and 355 MiB installed
# with its libraries, so only where tests run (make test sets FT_WITH_CHROMIUM=1), never in images.
[ "${FT_WITH_CHROMIUM:-}" = 1 ] && packages+=(chromium)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
install_debian_packages() {
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "bootstrap: installing ${missing[*]}"
  local sudo=
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || {
      echo "bootstrap: missing packages (${missing[*]}); run 'sudo scripts/bootstrap.sh' or run as root" >&2
      exit 1
    }
    sudo=sudo
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
install_debian_packages
[ "${FT_SKIP_CHART_TOOLS:-}" = 1 ] || "$(dirname "$0")/install-chart-tools.sh"  # helm, kubeconform for tests/chart.cmake
