-- policy.keys: the extension allowlist and the key layout.
local eq = require("helpers").eq
local keys = require "policy.keys"

local allow = { "jpg", "png" }

return {
  { "allowed extensions, any case", function()
      eq(keys.ext("jpg", allow), "jpg", "jpg"); eq(keys.ext("JPG", allow), "jpg", "JPG")
      eq(keys.ext("Png", allow), "png", "Png")
    end },
  { "hostile extensions", function()
      for _, bad in ipairs { "exe", "php", "../x", "jpg\0.php", "jpg.php", "jpg/x", "",
                             ("a"):rep(300), "图", "jpg ", " jpg", "j%70g" } do
        eq(keys.ext(bad, allow), nil, ("ext %q"):format(bad))
      end
      eq(keys.ext(nil, allow), nil, "missing")
    end },
  { "key layout", function()
      local k = keys.random("uploads/", "jpg")
      assert(k:match "^uploads/%d%d%d%d%d%d%d%d/%d+_%x+%.jpg$", k)
      assert(k:match "^[A-Za-z0-9/_.%-]+$", k)
      eq(#k:match "_(%x+)%.", 32, "random part length")
    end },
  { "users as key segments", function()
      for _, u in ipairs { "alice", "Bob_2", "a-b", ("x"):rep(64), "0" } do
        eq(keys.user(u), u, ("user %q"):format(u))
      end
      eq(keys.user(42), "42", "an integer id")
      for _, bad in ipairs { "", ("x"):rep(65), "a/b", "..", ".", "a.b", "al ice", "ali\0ce",
                             "é", -1, 1.5, true, {} } do
        eq(keys.user(bad), nil, ("user %s"):format(tostring(bad)))
      end
      eq(keys.user(nil), nil, "no user")
    end },
  { "key layout with a user segment", function()
      local k = keys.random("uploads/", "jpg", "alice")
      assert(k:match "^uploads/alice/%d%d%d%d%d%d%d%d/%d+_%x+%.jpg$", k)
      local none, err = keys.random("uploads/", "jpg", "../etc")
      eq(none, nil, "a user that would leave its folder"); assert(err, "with a message")
      assert(keys.random("u/", "png"):match "^u/%d%d%d%d%d%d%d%d/", "no user: no segment")
    end },
  { "keys do not repeat", function()
      local seen = {}
      for _ = 1, 5000 do
        local k = keys.random("u/", "png")
        assert(not seen[k], "duplicate " .. k); seen[k] = true
      end
    end },
  { "prefix validation", function()
      eq(keys.valid_prefix "uploads/", true, "uploads/"); eq(keys.valid_prefix "", true, "empty")
      eq(keys.valid_prefix "/abs/", false, "/abs/"); eq(keys.valid_prefix "a/../", false, "..")
      eq(keys.valid_prefix "a b/", false, "space"); eq(keys.valid_prefix "uploads", false, "no slash")
    end },
}
