-- GET /api/v1/patrons/{BENCH_PATRON}/timeline?limit=50: the first page of one patron's
-- timeline (bench/run-service gives that patron 10,000 events), as the bearer token's user.
local dir = debug.getinfo(1, "S").source:match("@(.*/)") or "./"
local C = dofile(dir .. "common.lua")
local path = "/api/v1/patrons/" .. (os.getenv("BENCH_PATRON") or "1") .. "/timeline?limit=50"
local headers = C.auth_headers()
setup = C.setup
function request()
  return wrk.format("GET", path, headers)
end
done = C.done
