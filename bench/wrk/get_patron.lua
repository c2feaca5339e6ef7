-- GET /api/v1/patrons/{id} with random ids in [1, BENCH_MAX_ID], as the bearer token's
-- user (BENCH_TOKEN; run-all uses an agent, so the masked view is computed).
local dir = debug.getinfo(1, "S").source:match("@(.*/)") or "./"
local C = dofile(dir .. "common.lua")
local max_id = tonumber(os.getenv("BENCH_MAX_ID") or "1000")
local headers = C.auth_headers()
setup = C.setup
function init(args)
  math.randomseed(os.time() * 1000 + (tonumber(thread_index) or 0))
end
function request()
  return wrk.format("GET", "/api/v1/patrons/" .. math.random(1, max_id), headers)
end
done = C.done
