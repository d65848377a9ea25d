#!/usr/bin/env bash
# Installs, with apt-get, exactly the Debian 12 packages segkit needs that are missing here.
# Idempotent: a second run installs nothing. Prints what it did.
#   cmake/install-deps.sh            build + test dependencies
#   cmake/install-deps.sh --bench    also the peers used by bench/compare (faiss, scikit-learn, umap-learn, R dbscan and Rtsne, gensim)
set -euo pipefail

packages=(
  g++ cmake make pkg-config ccache
  libxtensor-dev xtl-dev libxsimd-dev libxtensor-blas-dev libopenblas-dev liblapack-dev
  libboost-graph-dev libfmt-dev catch2 libbenchmark-dev doxygen libstb-dev
)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(python3-numpy python3-scipy python3-faiss python3-sklearn python3-hnswlib r-cran-dbscan umap-learn r-cran-rtsne python3-gensim)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: installed ${#missing[@]} package(s)"
