-- wrk script of soak_test.sh: mostly the good sessions of bodies.lua, and a share of malformed
-- requests of every kind (env MALFORMED, default 0.2). Counts the answers by status and prints one
-- JSON line at the end: latency of all requests, and the statuses seen.
dofile(os.getenv("SEGKIT_BODIES"))
local share = tonumber(os.getenv("MALFORMED") or "0.2")
local bad = {
  '{"page_ids": [1, 2',                         -- invalid JSON (400)
  '[1, 2, 3]',                                  -- not an object (400)
  '{"pages": [1]}',                             -- no page_ids (400)
  '{"page_ids": []}',                           -- empty (400)
  '{"page_ids": [1, "x", null]}',               -- not integers (400)
  '{"page_ids": [-5]}',                         -- negative (400)
  '{"page_ids": [99999991, 99999992]}',         -- no known page (422)
  '{"page_ids": [' .. string.rep("1,", 2000) .. '1]}',  -- too many ids (413)
  string.rep("x", 1100000),                     -- body over 1 MiB (413)
  '\0\255\254garbage',                          -- binary junk (400)
}
-- BULKY=0 leaves out the two kinds that are large on the wire (2,001 ids, a body over 1 MiB).
if os.getenv("BULKY") == "0" then
  table.remove(bad, 9)
  table.remove(bad, 8)
end
local threads = {}
setup = function(thread) table.insert(threads, thread) end
init = function() counts = {} n = 0 end
request = function()
  n = n + 1
  if math.random() < share then
    return wrk.format("POST", "/segment", {["Content-Type"] = "application/json"}, bad[math.random(#bad)])
  end
  return wrk.format("POST", "/segment", {["Content-Type"] = "application/json"}, bodies[(n % #bodies) + 1])
end
response = function(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end
done = function(summary, latency, requests)
  local all = {}
  for _, t in ipairs(threads) do
    for status, c in pairs(t:get("counts")) do all[status] = (all[status] or 0) + c end
  end
  local parts = {}
  for status, c in pairs(all) do table.insert(parts, string.format('"%d": %d', status, c)) end
  table.sort(parts)
  local e = summary.errors
  io.write(string.format('{"p50_ms": %.3f, "p99_ms": %.3f, "rps": %.0f, "requests": %d, "socket_errors": %d, "statuses": {%s}}\n',
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests / (summary.duration / 1e6), summary.requests,
    e.connect + e.read + e.write + e.timeout, table.concat(parts, ", ")))
end
