-- What route scripts must not reach.
local eq = require("helpers").eq

return {
  { "io is absent", function() eq(io, nil, "io") end },
  { "debug is absent", function() eq(debug, nil, "debug") end },
  { "os.execute is absent", function() eq(os.execute, nil, "os.execute") end },
  { "os.exit is absent", function() eq(os.exit, nil, "os.exit") end },
  { "os.getenv is absent", function() eq(os.getenv, nil, "os.getenv") end },
  { "os.remove is absent", function() eq(os.remove, nil, "os.remove") end },
  { "io.popen unreachable via require", function()
      eq(pcall(require, "io"), false, "require 'io'")
    end },
  { "dofile and loadfile are absent", function()
      eq(dofile, nil, "dofile"); eq(loadfile, nil, "loadfile")
    end },
  { "package.loadlib is absent", function() eq(package.loadlib, nil, "loadlib") end },
  { "C modules are not searched", function() eq(package.cpath, "", "cpath") end },
  { "binary chunks are refused", function()
      local chunk = "\27Lua" .. string.rep("\0", 32)
      local f, err = load(chunk, "x", "b")
      eq(f, nil, "load of bytecode")
      assert(tostring(err):find("binary"), "error should mention binary chunks: " .. tostring(err))
    end },
  { "text chunks still load", function() eq(load("return 6 * 7")(), 42, "load text") end },
  { "string.dump is absent", function() eq(string.dump, nil, "string.dump") end },
  { "collectgarbage only counts", function()
      assert(type(collectgarbage("count")) == "number")
      eq(pcall(collectgarbage, "stop"), false, "collectgarbage('stop')")
    end },
  { "gw.env refuses the credential variables", function()
      eq(pcall(gw.env, "COS_SECRET_KEY"), false, "gw.env COS_SECRET_KEY")
      eq(pcall(gw.env, "COS_SECURITY_TOKEN"), false, "gw.env COS_SECURITY_TOKEN")
      for _, name in ipairs { "COS_SECRET_KEY_FILE", "COS_SECRET_ID_FILE", "COS_SECURITY_TOKEN_FILE" } do
        eq(pcall(gw.env, name), false, "gw.env " .. name)
      end
    end },
  { "the credential hides the key", function(req, ctx)
      eq(ctx.cred.secret_key, nil, "cred.secret_key")
      eq(type(ctx.cred.secret_id), "string", "cred.secret_id type")
      eq(getmetatable(ctx.cred), "locked", "cred metatable")
    end },
  { "gw.sleep outside a request coroutine errors", function()
      local co = coroutine.create(function() return gw.sleep(1) end)
      local ok, err = coroutine.resume(co)
      eq(ok, false, "resume")
      assert(tostring(err):find("can only wait in a request handler"), tostring(err))
    end },
}
