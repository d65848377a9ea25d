#!/usr/bin/env bash
# Load test of the session segmentation service on this machine, over loopback:
#   examples/session_segmentation/load_test.sh [SECONDS]
# Builds the example if SEGKIT_BUILD_DIR (default ./build) lacks it, fits the model, starts the
# server on a free loopback port, runs wrk with the sessions of bodies.lua for SECONDS (default
# 10), stops the server by its PID and prints, as its last line, one JSON object:
#   {"p50_ms": ..., "p99_ms": ..., "rps": ..., "requests": ..., "errors": ..., "ari": ...}
# Environment: CONNECTIONS (default 8), WRK_THREADS (1), SERVER_THREADS (8).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${SEGKIT_BUILD_DIR:-$root/build}
seconds=${1:-10}
bin="$build/examples/session_segmentation/session_segmentation"

if ! command -v wrk >/dev/null 2>&1 || [[ ! -x "$bin" ]]; then
  bash "$root/cmake/install-deps.sh" >&2
fi
if [[ ! -x "$bin" ]]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j "$(nproc)" --target session_segmentation >&2
fi

work=$(mktemp -d)
server=""
cleanup() {
  if [[ -n "$server" ]] && kill -0 "$server" 2>/dev/null; then kill "$server"; wait "$server" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$bin" fit --out "$work" > "$work/fit.txt"
cat "$work/fit.txt" >&2
ari=$(sed -n 's/^ARI against the hidden shopper types: \([0-9.]*\)$/\1/p' "$work/fit.txt")

"$bin" serve --model "$work/model.seg" --port 0 --threads "${SERVER_THREADS:-8}" > "$work/serve.txt" 2>&1 &
server=$!
port=""
for _ in $(seq 1 100); do
  port=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\)$|\1|p' "$work/serve.txt")
  [[ -n "$port" ]] && break
  sleep 0.05
done
[[ -n "$port" ]] || { echo "load_test: the server did not start: $(cat "$work/serve.txt")" >&2; exit 1; }

SEGKIT_BODIES="$work/bodies.lua" wrk -t "${WRK_THREADS:-1}" -c "${CONNECTIONS:-8}" -d "${seconds}s" --latency \
  -s "$here/post.lua" "http://127.0.0.1:$port" > "$work/wrk.txt"
kill "$server"
wait "$server" || true
server=""
grep -v '^{' "$work/wrk.txt" >&2
line=$(grep '^{' "$work/wrk.txt" | tail -1)
echo "${line%\}}, \"ari\": ${ari}}"
