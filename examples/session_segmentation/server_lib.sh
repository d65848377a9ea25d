# Sourced by load_test.sh and soak_test.sh: the example built (or taken from SEGKIT_BUILD_DIR,
# default ./build), a scratch directory removed at exit, and a server started on a free loopback
# port and stopped by its PID.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${SEGKIT_BUILD_DIR:-$root/build}
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

# start_server MODEL THREADS: serves MODEL; sets server (PID), port and url.
start_server() {
  "$bin" serve --model "$1" --port 0 --threads "$2" > "$work/serve.txt" 2>&1 &
  server=$!
  port=""
  for _ in $(seq 1 100); do
    port=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\)$|\1|p' "$work/serve.txt")
    [[ -n "$port" ]] && break
    sleep 0.05
  done
  [[ -n "$port" ]] || { echo "$(basename "$0"): the server did not start: $(cat "$work/serve.txt")" >&2; exit 1; }
  url="http://127.0.0.1:$port"
}

# stop_server: stops it by its PID.
stop_server() {
  kill "$server"
  wait "$server" || true
  server=""
}
