-- ctx as a handler sees it: the request's own table over a shared,
-- read-only part (config, cred, worker_id).
local eq = require("helpers").eq

return {
  { "the shared part reads through", function(req, ctx)
      eq(type(ctx.config), "table", "ctx.config"); eq(ctx.config, gw.config, "same as gw.config")
      eq(ctx.worker_id, gw.worker_id, "worker_id"); assert(ctx.cred, "ctx.cred")
    end },
  { "per-request fields can be set and read back", function(req, ctx)
      ctx.user = "alice"; ctx.trace = { 1 }
      eq(ctx.user, "alice", "user"); eq(ctx.trace[1], 1, "trace")
      ctx.user = nil
      eq(ctx.user, nil, "cleared")
    end },
  { "the shared fields cannot be replaced, and the error says where state goes", function(req, ctx)
      for _, k in ipairs { "config", "cred", "worker_id" } do
        local ok, err = pcall(function() ctx[k] = {} end)
        eq(ok, false, "ctx." .. k .. " = ... refused")
        assert(tostring(err):find("read%-only") and tostring(err):find("per%-request"), tostring(err))
      end
      eq(type(ctx.config), "table", "still the config")
    end },
  { "the metatable is out of reach", function(req, ctx)
      eq(getmetatable(ctx), "locked", "getmetatable(ctx)")
      eq(pcall(setmetatable, ctx, nil), false, "setmetatable(ctx, nil)")
    end },
}
