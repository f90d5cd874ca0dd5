-- gw.cos keeps the option strings it signs with alive while C uses them,
-- even when they come from a proxy table (an __index function, so nothing
-- else holds them) and the collector runs between reading them and
-- signing. Each __index call allocates heavily, which runs the collector
-- (tests/lua/proxies.lua). The expected value is the same call with a
-- plain table; in the sanitizer build a string freed too early is a
-- use-after-free that aborts the server, so the driver sees no answer at
-- all.
local eq = require("helpers").eq
local cos = require "gw.cos"
local P = require "proxies"

local next_id, proxy, plain = P.next_id, P.proxy, P.plain

return {
  { "authorization reads a proxy table under collector pressure", function(_, ctx)
      for _ = 1, 3 do
        local m, s = next_id(), next_id()
        local path = "/" .. string.rep("k", 80) .. "/" .. next_id()
        local host = string.rep("h", 60) .. ".example" .. next_id()
        local qv = string.rep("v", 50) .. next_id()
        local values = {
          cred = ctx.cred, start = 1700000000, ["end"] = 1700000900,
          method = function() return ("pu%d"):format(m) end,
          path = function() return path:sub(1) end,
          headers = function()
            return { host = host:sub(1), ["x-cos-meta-n"] = 12345,
                     ["x-cos-meta-s"] = ("s%d"):format(s) }
          end,
          params = function() return { q = qv:sub(1), n = 7 } end,
        }
        local want = cos.authorization(plain(values))
        eq(cos.authorization(proxy(values)), want, "authorization")
      end
    end },
  { "presign_url reads a proxy table under collector pressure", function(_, ctx)
      for _ = 1, 3 do
        local h = next_id()
        local key = "dir/" .. string.rep("k", 60) .. "/" .. next_id()
        local values = {
          cred = ctx.cred, start = 1700000000, ["end"] = 1700000900,
          host = function() return ("h%d.example"):format(h) end,
          key = function() return key:sub(1) end,
          params = function() return { v = key:sub(1) } end,
        }
        eq(cos.presign_url(proxy(values)), cos.presign_url(plain(values)), "url")
      end
    end },
  { "post_policy reads a proxy table under collector pressure", function(_, ctx)
      for _ = 1, 3 do
        local b = next_id()
        local meta = string.rep("m", 50) .. next_id()
        local key = "uploads/" .. string.rep("k", 60) .. "/" .. next_id() .. ".jpg"
        local values = {
          cred = ctx.cred, start = 1700000000, ["end"] = 1700000900,
          bucket = function() return ("bucket-%d"):format(b) end,
          key = function() return key:sub(1) end,
          max_size = 1024,
          conditions = function()
            return { { ["x-cos-meta-a"] = meta:sub(1) } }
          end,
        }
        local want = cos.post_policy(plain(values))
        local got = cos.post_policy(proxy(values))
        eq(got.policy, want.policy, "policy")
        eq(got.q_signature, want.q_signature, "signature")
      end
    end },
}
