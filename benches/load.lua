-- wrk script for benches/load.sh: each connection sends four page reads for every write.
-- Reads, as a province leader (session cookie): the dashboard, the list of held activities,
-- the calendar month, the home page. Writes, as a planner (API token): a new activity.
-- Environment: LOAD_COOKIE, LOAD_TOKEN, LOAD_UNIT, LOAD_AGENCY, LOAD_ITEM.

local cookie = os.getenv("LOAD_COOKIE")
local token = os.getenv("LOAD_TOKEN")
local body = string.format(
  '{"type":"talk","title":"Nói chuyện chuyên đề (tải thử)","plan_item_id":%s,' ..
  '"org_unit_id":%s,"agency_id":%s,"start_date":"2025-09-15","planned_participants":40}',
  os.getenv("LOAD_ITEM"), os.getenv("LOAD_UNIT"), os.getenv("LOAD_AGENCY"))

local pages = {
  "/dashboard?from=2025-01-01&to=2025-12-31",
  "/activities?from=2025-01-01&to=2025-12-31&status=held",
  "/activities/calendar?month=2025-06",
  "/",
}

local n = 0
request = function()
  n = n + 1
  if n % 5 == 0 then
    return wrk.format("POST", "/api/v1/activities", {
      ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "application/json",
    }, body)
  end
  return wrk.format("GET", pages[(n % 5)], { ["Cookie"] = cookie, ["Accept-Encoding"] = "gzip" })
end

local statuses = {}
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

done = function(summary, latency, requests)
  io.write(string.format("requests %d in %.1f s: %.1f/s\n", summary.requests,
    summary.duration / 1e6, summary.requests / (summary.duration / 1e6)))
  io.write(string.format("latency p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  local e = summary.errors
  io.write(string.format("socket errors: connect %d, read %d, write %d, timeout %d; non-2xx/3xx %d\n",
    e.connect, e.read, e.write, e.timeout, e.status))
end
