-- wrk script for bench/webhook_ingest.py: replays pre-signed webhooks, each request distinct.
-- WEBHOOK_REQUESTS names a file of "timestamp<TAB>signature<TAB>body" lines; thread i of
-- WRK_THREADS takes every i-th line, so no two requests in a run are the same delivery.
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

function init(args)
  local nthreads = tonumber(os.getenv("WRK_THREADS") or "1")
  prepared = {}
  local i = 0
  for line in io.lines(os.getenv("WEBHOOK_REQUESTS")) do
    if i % nthreads == tid then
      local ts, sig, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      prepared[#prepared + 1] = wrk.format("POST", "/zoom/webhook", {
        ["Content-Type"] = "application/json; charset=utf-8",
        ["x-zm-request-timestamp"] = ts,
        ["x-zm-signature"] = sig,
      }, body)
    end
    i = i + 1
  end
  idx = 0
end

function request()
  idx = idx + 1
  if idx > #prepared then idx = 1 end
  return prepared[idx]
end

-- WRK_RATE (optional): offer this many requests per second from the thread, on a fixed
-- schedule (request k is due at start + k / rate), instead of the most the server answers. Each
-- request waits only until its slot, so the answer time does not slow the offer; when the server
-- falls behind, requests go as soon as a connection is free.
if os.getenv("WRK_RATE") then
  local ffi = require("ffi")
  ffi.cdef[[ typedef struct { long tv_sec; long tv_nsec; } zb_timespec;
             int clock_gettime(int clock_id, zb_timespec *tp); ]]
  local CLOCK_MONOTONIC = 1
  local now_ts = ffi.new("zb_timespec")
  local function now_ms()
    ffi.C.clock_gettime(CLOCK_MONOTONIC, now_ts)
    return tonumber(now_ts.tv_sec) * 1000 + tonumber(now_ts.tv_nsec) / 1e6
  end
  local interval_ms = 1000 / tonumber(os.getenv("WRK_RATE"))
  local start_ms, sent = nil, 0
  function delay()
    local t = now_ms()
    start_ms = start_ms or t
    local due = start_ms + sent * interval_ms
    sent = sent + 1
    return math.max(0, math.floor(due - t))
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d socket_errors=%d non2xx=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
