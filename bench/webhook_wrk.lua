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

-- WRK_DELAY_MS (optional): each connection waits this long before each request, to offer a
-- steady rate (connections x 1000 / delay per second, less the answer time) instead of the most.
if os.getenv("WRK_DELAY_MS") then
  local pause = tonumber(os.getenv("WRK_DELAY_MS"))
  function delay()
    return pause
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d socket_errors=%d non2xx=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
