-- wrk script for bench/serve/run: POST /api/v1/observations, each a small CSV batch of
-- new revisions of the bench data's observations (percent indicators, communes, the last
-- generated quarter, 2024-Q4) with random values. The Authorization header comes from the
-- command line; the data set's shape from the environment:
--
--   BENCH_SERVE_INDICATORS  indicators generated (ind0 ...; i % 5 < 3 are percents)
--   BENCH_SERVE_COMMUNES    communes generated (c0000 ...)
--   BENCH_SERVE_BATCH       rows per request (at most the communes; default 5)
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(here .. "report.lua")

local indicators = tonumber(os.getenv("BENCH_SERVE_INDICATORS") or "100")
local communes = tonumber(os.getenv("BENCH_SERVE_COMMUNES") or "966")
local batch = tonumber(os.getenv("BENCH_SERVE_BATCH") or "5")

local percents = {}
for i = 0, indicators - 1 do
  if i % 5 < 3 then table.insert(percents, i) end
end

wrk.method = "POST"
wrk.path = "/api/v1/observations"
wrk.headers["Content-Type"] = "text/csv"

setup = report.setup
init = report.init
response = report.response
delay = report.delay

function request()
  -- Consecutive communes, so that no (indicator, unit, period) comes twice in a batch.
  local first = math.random(0, communes - 1)
  local rows = { "indicator,unit,period,value" }
  for r = 0, batch - 1 do
    rows[#rows + 1] = string.format("ind%d,c%04d,2024-Q4,%d.%d%%",
      percents[math.random(#percents)], (first + r) % communes,
      math.random(20, 95), math.random(0, 9))
  end
  return wrk.format(nil, nil, nil, table.concat(rows, "\n") .. "\n")
end

function done(summary, latency, requests) report.done("writes", summary, latency) end
