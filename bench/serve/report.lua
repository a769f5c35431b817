-- Shared by reads.lua, writes.lua and pages.lua: counts every answer by HTTP status in each wrk
-- thread, and prints one summary line that bench/serve/run parses:
--
--   bench_serve LABEL requests=N seconds=S rps=R mean_ms=M p50_ms=A p95_ms=P p99_ms=B max_ms=C connect=N
--               read=N write=N timeout=N non2xx=N statuses=200:N,503:N
--
-- wrk runs each thread's script in its own Lua state; done() runs in the main one and
-- collects the threads' counts through thread:get.
local report = {}

local threads = {}

function report.setup(thread)
  thread:set("bench_thread_id", #threads + 1)
  table.insert(threads, thread)
end

function report.init()
  bench_statuses = {}
  math.randomseed(os.time() * 100 + (bench_thread_id or 0))
end

-- BENCH_SERVE_RATE (set by bench/serve/run from --read-rate, --write-rate, --page-rate):
-- the requests a second this wrk (one thread: one Lua state for all its connections)
-- sends, on a schedule: each answer books the next slot, 1/rate after the one before, and
-- its connection waits for it (wrk's delay). A stall leaves slots in the past, which the
-- connections then send at once, as a client at that constant rate would have. Unset or
-- 0: every connection sends its next request as soon as it has an answer.
local rate = tonumber(os.getenv("BENCH_SERVE_RATE") or "0") or 0
if rate > 0 then
  local ffi = require("ffi")
  ffi.cdef [[
    typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
    int clock_gettime(int clock, bench_timespec *now);
  ]]
  local now = ffi.new("bench_timespec")
  local function now_ms()
    ffi.C.clock_gettime(1, now) -- CLOCK_MONOTONIC
    return tonumber(now.tv_sec) * 1000 + tonumber(now.tv_nsec) / 1e6
  end
  local interval, slot = 1000 / rate, nil
  report.delay = function()
    local t = now_ms()
    slot = (slot or t) + interval
    return math.max(0, slot - t)
  end
end

function report.response(status)
  bench_statuses[status] = (bench_statuses[status] or 0) + 1
end

function report.done(label, summary, latency)
  local counts, codes = {}, {}
  for _, thread in ipairs(threads) do
    for code, n in pairs(thread:get("bench_statuses") or {}) do
      if counts[code] == nil then table.insert(codes, code) end
      counts[code] = (counts[code] or 0) + n
    end
  end
  table.sort(codes)
  local non2xx, listed = 0, {}
  for _, code in ipairs(codes) do
    if code < 200 or code > 299 then non2xx = non2xx + counts[code] end
    table.insert(listed, string.format("%d:%d", code, counts[code]))
  end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "bench_serve %s requests=%d seconds=%.3f rps=%.1f mean_ms=%.2f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f max_ms=%.2f " ..
    "connect=%d read=%d write=%d timeout=%d non2xx=%d statuses=%s\n",
    label, summary.requests, seconds, summary.requests / seconds, latency.mean / 1000,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000,
    e.connect, e.read, e.write, e.timeout, non2xx,
    #listed > 0 and table.concat(listed, ",") or "none"))
end

return report
