-- GET /obs/metric?label=L[&level=N][&size=N][&define=1]: updates script
-- metrics defined at load time with gw.metrics: a counter by label, a
-- gauge the test sets, a histogram of sizes. define=1 tries to define a
-- metric inside the request, which must be refused; misuse=1 runs wrong
-- calls, each of which must raise an error.
local metrics = require "gw.metrics"

local hits = metrics.counter("e2e_hits_total", "Hits of /obs/metric, by label.", { "label" })
local level = metrics.gauge("e2e_level", "A level the test sets.")
local sizes = metrics.histogram("e2e_size_bytes", "Sizes the test observes.", nil, { 10, 100, 1000 })
-- Defining the same again (as the next generation does) is the same metric.
assert(metrics.counter("e2e_hits_total", "Same again.", { "label" }))

-- Misuse, each of which must raise an error naming the problem.
local misuse = {
  { "counter down", function() hits:inc(-1, { "x" }) end },
  { "missing labels", function() hits:inc(1) end },
  { "too many labels", function() hits:inc(1, { "a", "b" }) end },
  { "label not text", function() hits:inc(1, { {} }) end },
  { "labels on an unlabelled metric", function() level:set(1, { "x" }) end },
  { "set on a counter", function() hits:set(1, { "x" }) end },
  { "observe on a gauge", function() level:observe(1) end },
  { "inc on a histogram", function() sizes:inc(1) end },
  { "not finite", function() level:set(0 / 0) end },
  { "infinite", function() sizes:observe(math.huge) end },
  { "no value", function() level:set() end },
}

return function(req)
  if req:query "misuse" then
    local out = {}
    for _, case in ipairs(misuse) do
      local ok, err = pcall(case[2])
      out[case[1]] = ok and "no error" or tostring(err)
    end
    return 200, out
  end
  if req:query "define" then
    local ok, err = pcall(metrics.counter, "e2e_late_total", "Too late.")
    return 200, { ok = ok, err = tostring(err) }
  end
  hits:inc(1, { req:query "label" or "none" })
  if req:query "level" then level:set(tonumber(req:query "level")) end
  if req:query "size" then sizes:observe(tonumber(req:query "size")) end
  return 200, { ok = true, enabled = metrics.enabled }
end
