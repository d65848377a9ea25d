#!/usr/bin/env bash
# Installs, with apt-get, exactly the Debian 12 packages segkit needs that are missing here.
# Also fetches ONNX Runtime's library from npm into ~/.cache/segkit (see below).
# Idempotent: a second run installs nothing. Prints what it did.
#   cmake/install-deps.sh            build + test dependencies
#   cmake/install-deps.sh --bench    also the peers used by bench/compare (faiss, scikit-learn, umap-learn, R dbscan and Rtsne, gensim)
set -euo pipefail

packages=(
  g++ cmake make pkg-config ccache
  libxtensor-dev xtl-dev libxsimd-dev libxtensor-blas-dev libopenblas-dev liblapack-dev
  libboost-graph-dev libfmt-dev catch2 libbenchmark-dev doxygen libstb-dev
  libcpp-httplib-dev nlohmann-json3-dev wrk clang-14 libclang-rt-14-dev
  libopenmpi-dev openmpi-bin
  python3 strace
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

# npm fetches ONNX Runtime below; install Debian's when the machine has none.
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
else
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "install-deps: installed ${#missing[@]} package(s)"
fi

# ONNX Runtime for the model embedders (loaded at run time, so only a file): its Linux x64 library
# from the npm package onnxruntime-node, kept in the user's cache. Tests and tools find it there
# (or wherever SEGKIT_ONNXRUNTIME points).
ort_version=1.30.0
ort_lib="${XDG_CACHE_HOME:-$HOME/.cache}/segkit/onnxruntime-$ort_version/libonnxruntime.so.1"
if [[ -n "${SEGKIT_ONNXRUNTIME:-}" && -f "${SEGKIT_ONNXRUNTIME}" ]]; then
  echo "install-deps: ONNX Runtime from SEGKIT_ONNXRUNTIME=$SEGKIT_ONNXRUNTIME"
elif [[ -f "$ort_lib" ]]; then
  echo "install-deps: ONNX Runtime $ort_version already in $ort_lib"
else
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack "onnxruntime-node@$ort_version" --silent >/dev/null &&
     tar -xzf "onnxruntime-node-$ort_version.tgz" package/bin/napi-v6/linux/x64/libonnxruntime.so.1)
  mkdir -p "$(dirname "$ort_lib")"
  mv "$tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" "$ort_lib.partial"
  mv "$ort_lib.partial" "$ort_lib"
  echo "install-deps: fetched ONNX Runtime $ort_version into $ort_lib"
fi
