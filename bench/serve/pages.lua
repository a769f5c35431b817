-- wrk script for bench/serve/run: the committee's pages, in turn (issue #19): the
-- dashboard as it opens, filtered, sorted and paged; a target at a unit (its chart, read
-- from the store) and a for-each target's units; units at each level. The paths come from
-- BENCH_SERVE_PAGES (space-separated, made by bench/serve/run from the bench's rules and
-- units); the Authorization header from the command line.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(here .. "report.lua")

local paths = {}
for path in string.gmatch(os.getenv("BENCH_SERVE_PAGES") or "/", "%S+") do
  table.insert(paths, path)
end
local next_path = 0

setup = report.setup
function init(args)
  report.init()
  next_path = bench_thread_id or 0
end
function request()
  next_path = next_path % #paths + 1
  return wrk.format("GET", paths[next_path])
end
response = report.response
delay = report.delay
function done(summary, latency, requests) report.done("pages", summary, latency) end
