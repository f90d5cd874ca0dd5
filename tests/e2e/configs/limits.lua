-- The test config (test.lua) with small limits, so the limit, timeout and
-- budget tests are quick, plus the hard_* test routes. A test can change
-- limits without its own file: SGW_TEST_LIMITS="name=value,name=value"
-- in signgw's environment overrides the values below.
local dir = ...
local c = loadfile(dir .. "/test.lua")(dir)

c.limits = {
  max_url             = 1024,
  max_header_bytes    = 4096,
  max_headers         = 16,
  max_body            = 4096,
  max_connections     = 50,
  header_timeout_ms   = 500,
  idle_timeout_ms     = 500,
  send_timeout_ms     = 1000,
  script_timeout_ms   = 200,
  script_memory_mb    = 16,
  shutdown_timeout_ms = 2000,
}
for name, value in string.gmatch(gw.env("SGW_TEST_LIMITS") or "", "([%w_]+)=(-?%d+)") do
  c.limits[name] = math.tointeger(value)
end

c.routes["POST /hard/echo"] = { module = "test_routes.hard_echo", body = true }
c.routes["GET /hard/big"] = "test_routes.hard_big"
c.routes["GET /hard/count"] = "test_routes.hard_count"
c.routes["GET /hard/spin"] = "test_routes.hard_spin"
c.routes["GET /hard/spin-pcall"] = "test_routes.hard_spin_pcall"
c.routes["GET /hard/spin-coroutine"] = "test_routes.hard_spin_coroutine"
c.routes["GET /hard/spin-coroutine-pcall"] = "test_routes.hard_spin_coroutine_pcall"
c.routes["GET /hard/spin-callback"] = "test_routes.hard_spin_callback"
c.routes["GET /hard/work"] = "test_routes.hard_work"
c.routes["GET /hard/membomb"] = "test_routes.hard_membomb"
c.routes["GET /hard/membomb-fill"] = "test_routes.hard_membomb_fill"
c.routes["GET /hard/rep"] = "test_routes.hard_rep"
return c
