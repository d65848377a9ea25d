-- wrk script of load_test.sh: POSTs the sessions of bodies.lua (written by
-- `session_segmentation fit`) to /segment in turn, and prints one JSON line at the end.
dofile(os.getenv("SEGKIT_BODIES"))
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, "/segment", nil, bodies[(n % #bodies) + 1])
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"p50_ms": %.3f, "p99_ms": %.3f, "rps": %.0f, "requests": %d, "errors": %d}\n',
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests / (summary.duration / 1e6),
    summary.requests, e.connect + e.read + e.write + e.status + e.timeout))
end
