-- gw.redis as scripts see it, against the real redis-server that
-- tests/e2e/redis.test.js starts (SGW_REDIS_URL, no password). Each case
-- runs inside a request, where calls may wait. Expected replies follow
-- Redis's documented behaviour for each command; the process-level
-- behaviour (timeouts, a server killed and restarted, AUTH, EVALSHA
-- counts seen by redis-cli) is checked by the driver.
local eq = require("helpers").eq
local redis, json = require "gw.redis", require "gw.json"

local function raises(fn, pattern, what)
  local ok, err = pcall(fn)
  eq(ok, false, what .. " raises")
  assert(tostring(err):find(pattern, 1, true), what .. ": unexpected error " .. tostring(err))
end

local r = assert(redis.connect())

-- A key of its own for each case.
local n = 0
local function key(name)
  n = n + 1
  return ("spec:%s:%d:%d"):format(name, gw.worker_id, n)
end

return {
  { "connect: defaults from the config, never shows the URL", function()
      local addr = r:address()
      assert(addr:match "^127%.0%.0%.1:%d+/0$", addr)
      eq(tostring(r), "gw.redis.client(" .. addr .. ")", "tostring")
      eq(redis.null, json.null, "redis.null is gw.json.null")
      raises(function() return gw.env "SGW_REDIS_URL" end, "credential", "gw.env SGW_REDIS_URL")
      eq(gw.has_env "SGW_REDIS_URL", true, "has_env")
      eq(gw.has_env "SGW_NO_SUCH_VARIABLE", false, "has_env unset")
    end },
  { "connect: bad URLs and options are answers or errors, never echoed", function()
      local c, err = redis.connect "http://secret-host:1/0"
      eq(c, nil, "http URL")
      assert(err:find "must start with redis://", err)
      assert(not err:find "secret%-host", "the URL is echoed: " .. err)
      c, err = redis.connect "redis://:hunter2@host:99999"
      eq(c, nil, "bad port")
      assert(not err:find "hunter2", "the password is echoed: " .. err)
      c, err = redis.connect { url_env = "SGW_NO_SUCH_VARIABLE" }
      eq(c, nil, "unset variable")
      assert(err:find "SGW_NO_SUCH_VARIABLE is not set", err)
      c, err = redis.connect { url_file = "/nonexistent/redis-url" }
      eq(c, nil, "missing file")
      assert(err:find "cannot read /nonexistent/redis%-url", err)
      raises(function() return redis.connect { bogus = 1 } end, "unknown option 'bogus'", "unknown option")
      raises(function() return redis.connect { url = "redis://a", url_env = "X" } end, "one of url", "two sources")
      raises(function() return redis.connect { timeout_ms = -1 } end, "timeout_ms", "negative timeout")
      raises(function() return redis.connect(42) end, "URL string", "a number")
      local ok = redis.connect "redis://:pw@127.0.0.1:6379/3"
      eq(tostring(ok), "gw.redis.client(127.0.0.1:6379/3)", "a password never shows")
    end },
  { "replies: status, bulk, nil, integer, binary-safe", function()
      local k = key "types"
      eq(r:call("SET", k, "a\0b\255"), "OK", "SET status")
      eq(r:call("GET", k), "a\0b\255", "GET bytes")
      local v, err, kind = r:call("GET", key "missing")
      eq(v, nil, "missing value"); eq(err, nil, "missing err"); eq(kind, nil, "missing kind")
      eq(r:call("INCRBY", key "int", 41), 41, "INCRBY with a number argument")
      eq(math.type(r:call("INCR", key "int2")), "integer", "integers stay integers")
      eq(r:call("SET", k, 2.5), "OK", "float argument")
      eq(r:call("GET", k), "2.5", "float argument as text")
      eq(r:call("PING"), "PONG", "PING")
      eq(r:call("ping", "hello"), "hello", "lower-case command")
      eq(r:call("INCRBY", key "neg", -7), -7, "negative integer")
      eq(r:call("SET", key "big", 9007199254740993), "OK", "a 64-bit integer")
    end },
  { "replies: arrays, nil inside arrays, nested arrays, nested errors", function()
      local l = key "list"
      eq(r:call("RPUSH", l, "x", "y", "z"), 3, "RPUSH")
      local got = r:call("LRANGE", l, 0, -1)
      eq(#got, 3, "LRANGE length"); eq(got[1], "x", "[1]"); eq(got[3], "z", "[3]")
      local a, b = key "a", key "b"
      r:call("SET", a, "1")
      got = r:call("MGET", a, b, a)
      eq(got[1], "1", "MGET [1]"); eq(got[2], redis.null, "MGET missing is null"); eq(got[3], "1", "MGET [3]")
      eq(#r:call("LRANGE", key "none", 0, -1), 0, "empty array")
      got = r:call("EVAL", "return {1, {2, 'x'}, redis.error_reply('boom')}", 0)
      eq(got[1], 1, "nested [1]"); eq(got[2][1], 2, "nested [2][1]"); eq(got[2][2], "x", "nested [2][2]")
      eq(got[3][1], false, "nested error flag")
      assert(got[3][2]:find "boom$", "nested error text " .. got[3][2])
    end },
  { "error replies are nil, message, 'redis'", function()
      local k = key "str"
      r:call("SET", k, "text")
      local v, err, kind = r:call("INCR", k)
      eq(v, nil, "value"); eq(kind, "redis", "kind")
      assert(err:find "^ERR value is not an integer", err)
      v, err, kind = r:call("NOSUCHCOMMAND", "x")
      eq(v, nil, "unknown value"); eq(kind, "redis", "unknown kind")
      assert(err:find "^ERR unknown command", err)
      v, err, kind = r:call("LPUSH", k, "x")
      eq(kind, "redis", "WRONGTYPE kind"); assert(err:find "^WRONGTYPE", err)
      eq(r:call("GET", k), "text", "the connection still works after errors")
    end },
  { "pipeline: replies in order, errors and nils in place", function()
      local c = key "counter"
      local cmds = {}
      for i = 1, 200 do cmds[i] = { "INCR", c } end
      local res = assert(r:pipeline(cmds))
      eq(res.n, 200, "n")
      for i = 1, 200 do eq(res[i], i, "INCR #" .. i) end
      local s = key "s"
      res = assert(r:pipeline { { "SET", s, "v" }, { "INCR", s }, { "GET", key "none" }, { "GET", s } })
      eq(res.n, 4, "n")
      eq(res[1], "OK", "[1]"); eq(res[2][1], false, "[2] is an error")
      assert(res[2][2]:find "^ERR value is not an integer", res[2][2])
      eq(res[3], redis.null, "[3] nil is null"); eq(res[4], "v", "[4]")
    end },
  { "eval: keys and args, EVALSHA then EVAL on NOSCRIPT", function()
      eq(r:call("SCRIPT", "FLUSH"), "OK", "SCRIPT FLUSH")
      local script = "return {KEYS[1], ARGV[1], ARGV[2], #KEYS, #ARGV}"
      local k = key "evalkey"
      for round = 1, 3 do
        local got = assert(r:eval(script, { k }, { "one", 2 }))
        eq(got[1], k, "KEYS[1] #" .. round); eq(got[2], "one", "ARGV[1]"); eq(got[3], "2", "ARGV[2]")
        eq(got[4], 1, "#KEYS"); eq(got[5], 2, "#ARGV")
      end
      eq(r:eval "return 7", 7, "no keys, no args")
      local v, err, kind = r:eval("return redis.error_reply('nope')")
      eq(v, nil, "error value"); eq(kind, "redis", "error kind")
      assert(err:find "nope$", "error text " .. err)
      v, err, kind = r:eval("this is not lua")
      eq(v, nil, "syntax error value"); eq(kind, "redis", "syntax error kind")
      assert(err:find "ERR", err)
    end },
  { "atomic check-and-increment in a script", function()
      local q = key "quota"
      local script = [[
        local n = redis.call('INCR', KEYS[1])
        if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
        if n > tonumber(ARGV[1]) then redis.call('DECR', KEYS[1]); return 0 end
        return 1 ]]
      local allowed = 0
      for _ = 1, 8 do allowed = allowed + assert(r:eval(script, { q }, { 5, 60 })) end
      eq(allowed, 5, "allowed"); eq(r:call("GET", q), "5", "count")
      local ttl = r:call("TTL", q)
      assert(ttl > 0 and ttl <= 60, "TTL " .. ttl)
    end },
  { "misuse raises", function()
      raises(function() return r:call() end, "a command is required", "no command")
      raises(function() return r:call("GET", {}) end, "must be a string or a number", "table argument")
      raises(function() return r:call("SET", "k", true) end, "must be a string or a number", "boolean argument")
      raises(function() return r:call("MULTI") end, "not allowed on a shared connection", "MULTI")
      raises(function() return r:call("subscribe", "ch") end, "not allowed on a shared connection", "SUBSCRIBE")
      raises(function() return r:call("SELECT", 2) end, "not allowed", "SELECT")
      raises(function() return r:pipeline {} end, "1 to 4096 commands", "empty pipeline")
      raises(function() return r:pipeline { {} } end, "1 to 65536 arguments", "empty command")
      raises(function() return r:pipeline { "GET" } end, "must be a table", "not a table")
      raises(function() return r:pipeline { { "GET", "k" }, { "SET", "k", false } } end,
        "entry 2, argument 3", "bad argument in entry 2")
      raises(function() return r:pipeline { { "GET", "k" }, { "EXEC" } } end, "not allowed", "EXEC in a pipeline")
      raises(function() return r:eval("return 1", "k") end, "must be a list", "keys not a list")
      raises(function() return r.call(42, "PING") end, "gw.redis.client expected", "called with .")
      raises(function() return coroutine.wrap(function() return r:call("PING") end)() end,
        "can only wait in a request handler", "inside a coroutine")
      eq(r:call("PING"), "PONG", "still works after misuse")
    end },
  { "a reply larger than the script memory left is refused", function()
      local k = key "huge"
      -- 24 MiB made inside Redis; limits.script_memory_mb is 16 here.
      eq(r:call("SETRANGE", k, 24 * 1024 * 1024, "x"), 24 * 1024 * 1024 + 1, "SETRANGE")
      local v, err, kind = r:call("GET", k)
      eq(v, nil, "value"); eq(kind, "too_large", "kind")
      assert(err:find "script memory", err)
      local res
      res, err, kind = r:pipeline { { "PING" }, { "GET", k } }
      eq(res, nil, "pipeline value"); eq(kind, "too_large", "pipeline kind")
      r:call("DEL", k)
      eq(r:call("PING"), "PONG", "still works")
    end },
}
