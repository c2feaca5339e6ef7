-- common.lua — shared by the scenario scripts (loaded with dofile from the same folder).
-- Every script ends by printing one machine-readable line that bench/run-all parses:
--   BENCH_RESULT requests=N seconds=S rps=R p50_ms=A p90_ms=B p99_ms=C max_ms=D errors=E non2xx=F
local M = {}

M.token = os.getenv("BENCH_TOKEN") or ""

function M.auth_headers(extra)
  local h = extra or {}
  if M.token ~= "" then h["Authorization"] = "Bearer " .. M.token end
  return h
end

-- Percent-encodes a UTF-8 string for a query parameter.
function M.urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

-- Threads get an index (0, 1, …) so that per-thread generated data never collides.
local next_index = 0
function M.setup(thread)
  thread:set("thread_index", next_index)
  next_index = next_index + 1
end

function M.done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "BENCH_RESULT requests=%d seconds=%.2f rps=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f errors=%d non2xx=%d\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, e.connect + e.read + e.write + e.timeout, e.status))
end

return M
