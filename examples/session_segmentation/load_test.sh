#!/usr/bin/env bash
# Load test of the session segmentation service on this machine, over loopback:
#   examples/session_segmentation/load_test.sh [SECONDS]
# Builds the example if SEGKIT_BUILD_DIR (default ./build) lacks it, fits the model, starts the
# server on a free loopback port, runs wrk with the sessions of bodies.lua for SECONDS (default
# 10), stops the server by its PID and prints, as its last line, one JSON object:
#   {"p50_ms": ..., "p99_ms": ..., "rps": ..., "requests": ..., "errors": ..., "ari": ...}
# Environment: CONNECTIONS (default 8), WRK_THREADS (1), SERVER_THREADS (2: the server's I/O threads).
set -euo pipefail
seconds=${1:-10}
source "$(dirname "${BASH_SOURCE[0]}")/server_lib.sh"

"$bin" fit --out "$work" > "$work/fit.txt"
cat "$work/fit.txt" >&2
ari=$(sed -n 's/^ARI against the hidden shopper types: \([0-9.]*\)$/\1/p' "$work/fit.txt")

start_server "$work/model.seg" "${SERVER_THREADS:-2}"

SEGKIT_BODIES="$work/bodies.lua" wrk -t "${WRK_THREADS:-1}" -c "${CONNECTIONS:-8}" -d "${seconds}s" --latency \
  -s "$here/post.lua" "$url" > "$work/wrk.txt"
stop_server
grep -v '^{' "$work/wrk.txt" >&2
line=$(grep '^{' "$work/wrk.txt" | tail -1)
echo "${line%\}}, \"ari\": ${ari}}"
