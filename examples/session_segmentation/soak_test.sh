#!/usr/bin/env bash
# Soak test of the session segmentation service, over loopback:
#   examples/session_segmentation/soak_test.sh [SECONDS]
# Two wrk streams run side by side against one server, each for SECONDS (default 10), three times:
#   control:  good sessions  + good sessions
#   soak 1/2: good sessions  + malformed requests of every kind (soak.lua: invalid JSON, wrong
#             fields, empty or unknown sessions, too many ids, a body over 1 MiB, binary junk)
#   small:    good sessions  + the same without the two bulky kinds (the cost of their bytes apart)
# It checks that every malformed request got a 4xx (never a 5xx or a dropped connection), that
# the server still answers /healthz, and that its memory (VmRSS) does not grow from the first
# soak to the second, and prints as its last line one JSON object with the good stream's p99 in
# the control and in the soaks, the malformed requests' statuses and the memory figures.
# Builds what it needs (or uses SEGKIT_BUILD_DIR, default ./build). Exit status 1 on a failed check.
set -euo pipefail
seconds=${1:-10}
source "$(dirname "${BASH_SOURCE[0]}")/server_lib.sh"

"$bin" fit --out "$work" --sessions 5000 > /dev/null
start_server "$work/model.seg" 2
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$server/status"; }
stream() {  # stream MALFORMED_SHARE OUT [BULKY]
  BULKY=${3:-1} MALFORMED=$1 SEGKIT_BODIES="$work/bodies.lua" wrk -t 1 -c 4 -d "${seconds}s" --latency -s "$here/soak.lua" "$url" 2>&1 | grep '^{' | tail -1 > "$2"
}
round() {  # round NAME SECOND_STREAM_SHARE [BULKY]
  stream 0 "$work/$1.good" &
  local a=$!
  stream "$2" "$work/$1.other" "${3:-1}"
  wait "$a"
}

rss_start=$(rss)
round control 0
rss_control=$(rss)
round soak1 1
rss_soak1=$(rss)
round soak2 1
rss_soak2=$(rss)
round small 1 0   # malformed requests without the bulky kinds: the cost of the bytes apart
alive=$(python3 -c "import urllib.request,sys; print(urllib.request.urlopen('$url/healthz', timeout=5).status == 200)" 2>/dev/null || echo False)

field() { python3 -c "import json,sys; d=json.load(open('$1')); print(d$2)"; }
p99_control=$(field "$work/control.good" "['p99_ms']")
p99_soak1=$(field "$work/soak1.good" "['p99_ms']")
p99_soak2=$(field "$work/soak2.good" "['p99_ms']")
p99_small=$(field "$work/small.good" "['p99_ms']")
statuses=$(python3 - "$work/soak1.other" "$work/soak2.other" "$work/small.other" <<'PY'
import json, sys
total, errors = {}, 0
for f in sys.argv[1:]:  # soak rounds 1, 2 and the small one
    d = json.load(open(f))
    errors += d["socket_errors"]
    for k, v in d["statuses"].items():
        total[k] = total.get(k, 0) + v
print(json.dumps({"statuses": total, "socket_errors": errors}))
PY
)
echo "$statuses" >&2
ok=$(python3 - "$statuses" "$alive" "$rss_soak1" "$rss_soak2" <<'PY'
import json, sys
s = json.loads(sys.argv[1]); alive = sys.argv[2] == "True"; r1, r2 = int(sys.argv[3]), int(sys.argv[4])
fours = all(400 <= int(k) < 500 for k in s["statuses"])
print(fours and s["socket_errors"] == 0 and alive and r2 <= r1 * 1.05 + 1024)
PY
)
malformed=$(python3 -c "import json; print(sum(json.loads('''$statuses''')['statuses'].values()))")
good=$(python3 -c "import json; print(sum(json.load(open(f))['requests'] for f in ['$work/soak1.good', '$work/soak2.good', '$work/small.good']))")
echo "{\"good_p99_ms_control\": $p99_control, \"good_p99_ms_soak\": [$p99_soak1, $p99_soak2], \"good_p99_ms_soak_without_bulky\": $p99_small, \"good_requests_during_soak\": $good, \"malformed_requests\": $malformed, $(echo "$statuses" | sed 's/^{//; s/}$//'), \"rss_kb\": {\"start\": $rss_start, \"after_control\": $rss_control, \"after_soak1\": $rss_soak1, \"after_soak2\": $rss_soak2}, \"server_alive\": $( [[ $alive == True ]] && echo true || echo false ), \"passed\": $( [[ $ok == True ]] && echo true || echo false )}"
[[ $ok == True ]]
