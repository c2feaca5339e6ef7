-- POST /api/v1/tickets: an agent opens a phone consultation (or, with BENCH_TICKET_KIND,
-- another kind) for a patron drawn from [1, BENCH_MAX_ID], with the session cookie and
-- CSRF header. The subjects vary per request, so repeat-contact alerts are evaluated
-- (their query runs) but rarely raised.
local dir = debug.getinfo(1, "S").source:match("@(.*/)") or "./"
local C = dofile(dir .. "common.lua")
local S = dofile(dir .. "session.lua")
local max_id = tonumber(os.getenv("BENCH_MAX_ID") or "100")
local kind = os.getenv("BENCH_TICKET_KIND") or "consultation"
local headers = S.headers()
local topics = {"开放时间", "查档预约", "复印收费", "婚姻登记档案", "退休档案查询", "学籍档案", "房产档案"}
local counter, tindex = 0, 0
setup = C.setup
function init(args)
  tindex = tonumber(thread_index) or 0
  math.randomseed(os.time() * 1000 + tindex)
end
function request()
  counter = counter + 1
  local body = string.format(
    '{"kind":"%s","channel":"phone","subject":"%s %d-%d","body":"来电咨询，已记录。","patron_id":%d}',
    kind, topics[math.random(1, #topics)], tindex, counter, math.random(1, max_id))
  return wrk.format("POST", "/api/v1/tickets", headers, body)
end
done = C.done
