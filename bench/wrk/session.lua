-- session.lua — a browser-like session for POSTs: the session cookie and the CSRF header
-- (BENCH_COOKIE, BENCH_CSRF from bench/run-service's login), as the staff console sends
-- them; loaded with dofile by the ticket scripts.
local S = {}
local cookie = os.getenv("BENCH_COOKIE") or ""
local csrf = os.getenv("BENCH_CSRF") or ""
function S.headers()
  return {["Content-Type"] = "application/json", ["Cookie"] = "dangan_session=" .. cookie,
          ["X-CSRF-Token"] = csrf}
end
return S
