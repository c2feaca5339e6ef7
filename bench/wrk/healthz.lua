-- GET /healthz: the server's ceiling (no authentication, no database).
local dir = debug.getinfo(1, "S").source:match("@(.*/)") or "./"
local C = dofile(dir .. "common.lua")
wrk.method = "GET"
wrk.path = "/healthz"
done = C.done
