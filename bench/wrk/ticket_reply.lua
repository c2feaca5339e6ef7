-- POST /api/v1/tickets/{id}/messages: a staff reply to a ticket drawn from
-- [BENCH_TICKET_MIN, BENCH_TICKET_MAX], with the session cookie and CSRF header.
local dir = debug.getinfo(1, "S").source:match("@(.*/)") or "./"
local C = dofile(dir .. "common.lua")
local S = dofile(dir .. "session.lua")
local lo = tonumber(os.getenv("BENCH_TICKET_MIN") or "1")
local hi = tonumber(os.getenv("BENCH_TICKET_MAX") or "100")
local headers = S.headers()
setup = C.setup
function init(args)
  math.randomseed(os.time() * 1000 + (tonumber(thread_index) or 0))
end
function request()
  return wrk.format("POST", "/api/v1/tickets/" .. math.random(lo, hi) .. "/messages", headers,
                    '{"kind":"reply","body":"您好，您咨询的档案可在工作日到馆查阅，请携带身份证件。"}')
end
done = C.done
