-- wrk script for bench/serve/run: GET /api/v1/alerts (the URL and the Authorization
-- header come from the command line), every answer counted by status.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(here .. "report.lua")

setup = report.setup
init = report.init
response = report.response
delay = report.delay
function done(summary, latency, requests) report.done("reads", summary, latency) end
