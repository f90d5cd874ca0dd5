-- gw.shared as route scripts see it, in a real worker VM. The dicts come
-- from tests/lua/config.lua: spec = "64k", spec_small = 8192. Expected
-- values follow ngx.shared.DICT's documented behaviour.
local eq = require("helpers").eq
local shared = require "gw.shared"
local gw = require "gw"

local d = shared.spec
local small = shared.dict "spec_small"

return {
  { "dicts by field and by dict(); unknown names are nil", function()
      assert(d, "gw.shared.spec"); assert(small, "gw.shared.dict('spec_small')")
      eq(shared.dict "spec", d, "cached userdata")
      eq(shared.nosuch, nil, "unknown field"); eq(shared.dict "nosuch", nil, "unknown dict()")
      eq(tostring(d), "gw.shared.dict(spec)", "tostring")
      eq(d:capacity(), 65536, "capacity"); eq(small:capacity(), 8192, "small capacity")
    end },
  { "values of every type round-trip", function()
      d:flush_all()
      eq(d:set("s", "hello\0world"), true, "set string")
      eq(d:get "s", "hello\0world", "string with NUL")
      d:set("i", 42); eq(d:get "i", 42, "integer"); eq(math.type(d:get "i"), "integer", "stays integer")
      d:set("f", 1.5); eq(d:get "f", 1.5, "float"); eq(math.type(d:get "f"), "float", "stays float")
      d:set("t", true); eq(d:get "t", true, "true")
      d:set("b", false); eq(d:get "b", false, "false")
      d:set("e", ""); eq(d:get "e", "", "empty string")
      eq(d:get "missing", nil, "missing")
      d:set(7, "seven"); eq(d:get "7", "seven", "number key is its string")
    end },
  { "set nil and delete remove", function()
      d:set("gone", 1); d:set("gone", nil); eq(d:get "gone", nil, "set nil")
      d:set("gone", 1); eq(d:delete "gone", true, "delete"); eq(d:get "gone", nil, "deleted")
      eq(d:delete "never-there", true, "delete missing")
    end },
  { "add only when absent", function()
      d:delete "a"
      eq(d:add("a", 1), true, "first add")
      local ok, err = d:add("a", 2)
      eq(ok, nil, "second add"); eq(err, "exists", "err")
      eq(d:get "a", 1, "unchanged")
    end },
  { "incr", function()
      d:delete "c"
      local v, err = d:incr("c", 1)
      eq(v, nil, "absent without init"); eq(err, "not found", "err")
      eq(d:incr("c", 1, 0), 1, "init 0 + 1"); eq(d:incr("c", 5), 6, "+5"); eq(d:incr("c", -2), 4, "-2")
      eq(math.type(d:get "c"), "integer", "integer")
      eq(d:incr("c", 0.5), 4.5, "float"); eq(math.type(d:get "c"), "float", "became float")
      d:set("str", "x")
      v, err = d:incr("str", 1, 0)
      eq(v, nil, "string"); eq(err, "not a number", "err")
      d:set("max", math.maxinteger)
      v, err = d:incr("max", 1)
      eq(v, nil, "overflow"); eq(err, "integer overflow", "err"); eq(d:get "max", math.maxinteger, "unchanged")
    end },
  { "TTL expiry (and incr's init_ttl only on creation)", function()
      d:set("short", "x", 0.05); d:set("long", "y", 60); d:set("never", "z")
      eq(d:incr("ctr", 1, 0, 0.05), 1, "incr creates with ttl")
      eq(d:incr("ctr", 1, 0, 60), 2, "no new ttl")
      eq(d:get "short", "x", "before")
      gw.sleep(80)
      eq(d:get "short", nil, "expired"); eq(d:get "ctr", nil, "incr ttl kept")
      eq(d:get "long", "y", "60 s"); eq(d:get "never", "z", "no ttl")
    end },
  { "get_keys, newest first, without expired", function()
      d:flush_all()
      d:set("k1", 1); d:set("k2", 2); d:set("k3", 3, 0.01)
      gw.sleep(20)
      local keys = d:get_keys()
      eq(#keys, 2, "count"); eq(keys[1], "k2", "newest"); eq(keys[2], "k1", "oldest")
      eq(#d:get_keys(1), 1, "max")
    end },
  { "a full dict evicts the least recently written and says so", function()
      small:flush_all()
      local free0 = small:free_space()
      local forcible_seen, i = false, 0
      while not forcible_seen do
        i = i + 1
        local ok, err, forcible = small:set("key" .. i, string.rep("v", 40))
        eq(ok, true, "set " .. i); eq(err, nil, "err")
        forcible_seen = forcible == true
        assert(i < 10000, "never full")
        assert(small:free_space() >= 0, "over budget")
      end
      assert(free0 > small:free_space(), "space used")
      eq(small:get "key1", nil, "oldest evicted"); eq(small:get("key" .. i), string.rep("v", 40), "newest kept")
      local ok, err = small:set("huge", string.rep("h", 9000))
      eq(ok, nil, "bigger than the dict"); eq(err, "no memory", "err")
    end },
  { "misuse raises errors", function()
      eq(pcall(d.set, d, "k", {}), false, "table value")
      eq(pcall(d.set, d, "", 1), false, "empty key")
      eq(pcall(d.set, d, "k", 1, -1), false, "negative ttl")
      eq(pcall(d.set, d, "k", 1, 0/0), false, "NaN ttl")
      d:set("k", 1)
      eq(d:incr("k", "2"), 3, "a numeric string is a number"); eq(math.type(d:get "k"), "integer", "still integer")
      eq(pcall(d.incr, d, "k", "one"), false, "by not a number")
      eq(pcall(d.get, "spec", "k"), false, "called with . instead of :")
      eq(pcall(shared.dict), false, "dict() without a name")
      eq(getmetatable(d), "gw.shared.dict", "metatable is protected")
    end },
  { "limit: a leaky bucket of burst + 1, then one per 1/rate", function()
      d:delete "lim"
      for i = 1, 3 do
        local ok, left = d:limit("lim", 10, 2)
        eq(ok, true, "allowed #" .. i); eq(left, 3 - i, "left #" .. i)
        eq(math.type(left), "integer", "left is an integer")
      end
      local ok, wait = d:limit("lim", 10, 2)
      eq(ok, false, "the 4th at once")
      assert(wait > 0 and wait <= 0.1, "wait " .. tostring(wait))
      ok = d:limit("lim", 10, 2)
      eq(ok, false, "still refused")
      eq(d:limit("other", 10), true, "burst defaults to 0: one")
      eq(d:limit("other", 10), false, "burst defaults to 0: not two")
      d:set("str", "x")
      local v, err = d:limit("str", 10)
      eq(v, nil, "a string key"); eq(err, "not a rate limit key", "err")
      eq(pcall(d.limit, d, "k", 0), false, "rate 0")
      eq(pcall(d.limit, d, "k", 1, -1), false, "negative burst")
      eq(pcall(d.limit, d, "k"), false, "no rate")
    end },
}
