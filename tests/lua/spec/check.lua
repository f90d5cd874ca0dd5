-- policy.check: every setting the shipped scripts read is checked when a
-- generation is built. Each bad value is refused with a "config: ..."
-- message naming the setting; good ones come back as plain values.
local eq = require("helpers").eq
local check = require "policy.check"

-- A valid config, with `change` applied to a copy of its upload section.
local function cfg_with(change)
  local up = {
    prefix = "uploads/", ext_allow = { "jpg", "PNG" }, expires = 900, skew = 60,
    min_size = 0, max_size = 1024,
  }
  for k, v in pairs(change or {}) do up[k] = v end
  return { upload = up, cos = { bucket = "examplebucket-1250000000", region = "ap-guangzhou" } }
end

-- fn(...) must fail with a config message matching `pattern`.
local function refused(pattern, fn, ...)
  local ok, err = pcall(fn, ...)
  assert(not ok, "accepted: " .. pattern)
  err = tostring(err)
  assert(err:sub(1, 8) == "config: ", "not a config message: " .. err)
  assert(err:find(pattern), ("message %q lacks %q"):format(err, pattern))
end

local NONE = {} -- marks a setting to remove

local function upload(change)
  local c = cfg_with()
  for k, v in pairs(change) do c.upload[k] = v ~= NONE and v or nil end
  return check.upload(c)
end

return {
  { "a valid upload section comes back checked and lower-cased", function()
      local s = check.upload(cfg_with())
      eq(s.prefix, "uploads/", "prefix"); eq(s.expires, 900, "expires"); eq(s.skew, 60, "skew")
      eq(s.min_size, 0, "min_size"); eq(s.max_size, 1024, "max_size")
      eq(s.ext_allow[2], "png", "ext lower-cased"); eq(s.user_segment, false, "user_segment")
      eq(s.conditions, nil, "conditions")
    end },
  { "defaults for optional upload settings", function()
      local s = upload { expires = NONE, skew = NONE, min_size = NONE, max_size = NONE }
      eq(s.expires, 900, "expires"); eq(s.skew, 60, "skew"); eq(s.min_size, 0, "min_size")
      eq(s.max_size, 5 * 1024 * 1024 * 1024, "max_size: COS's largest upload, still a limit")
    end },
  { "upload.expires: 0, \"soon\", 1.5, a week and a second", function()
      for _, v in ipairs { 0, -1, "soon", "900", 1.5, 7 * 24 * 3600 + 1 } do
        refused("upload%.expires", upload, { expires = v })
      end
      eq(upload({ expires = 7 * 24 * 3600 }).expires, 604800, "a week is fine")
    end },
  { "upload.max_size: 0, -1 and non-integers would drop the size limit", function()
      for _, v in ipairs { 0, -1, "big", 2.5, 6 * 1024 * 1024 * 1024 } do
        refused("upload%.max_size", upload, { max_size = v })
      end
    end },
  { "upload.min_size larger than max_size", function()
      refused("min_size", upload, { min_size = 2048, max_size = 1024 })
      refused("upload%.min_size", upload, { min_size = -1 })
    end },
  { "upload.skew out of range", function()
      refused("upload%.skew", upload, { skew = -1 })
      refused("upload%.skew", upload, { skew = 3601 })
    end },
  { "upload.ext_allow: a string, empty, unsafe entries", function()
      refused("upload%.ext_allow must be a list", upload, { ext_allow = "jpg" })
      refused("at least one", upload, { ext_allow = {} })
      refused("ext_allow%[2%]", upload, { ext_allow = { "jpg", "../x" } })
      refused("ext_allow%[1%]", upload, { ext_allow = { "php " } })
      refused("ext_allow%[1%]", upload, { ext_allow = { ("a"):rep(17) } })
      refused("upload%.ext_allow", upload, { ext_allow = { "jpg", x = "png" } })
    end },
  { "upload.prefix", function()
      for _, v in ipairs { "/abs/", "a/../b/", "no-slash", "sp ace/", 5 } do
        refused("upload%.prefix", upload, { prefix = v })
      end
      refused("upload%.prefix", upload, { prefix = NONE })
      eq(upload({ prefix = "" }).prefix, "", "empty prefix")
    end },
  { "upload.conditions", function()
      local good = { { "starts-with", "$Content-Type", "image/" }, { acl = "private" },
                     { "in", "$x-cos-storage-class", { "STANDARD" } } }
      eq(upload({ conditions = good }).conditions, good, "kept as given")
      refused("upload%.conditions must be a list", upload, { conditions = "x" })
      refused("conditions%[1%]", upload, { conditions = { "starts-with" } })
      refused("unknown condition", upload, { conditions = { { "regex", "$key", ".*" } } })
      refused("%$Content%-Type", upload, { conditions = { { "eq", "Content-Type", "x" } } })
      refused("min_size", upload, { conditions = { { "content-length-range", 0, 10 } } })
      refused("conditions%[1%]", upload, { conditions = { { a = "1", b = "2" } } })
      refused("conditions%[1%]", upload, { conditions = { { "eq", "$key", "\xff" } } })
    end },
  { "upload.user_segment must be a boolean", function()
      eq(upload({ user_segment = true }).user_segment, true, "true")
      refused("upload%.user_segment", upload, { user_segment = "yes" })
    end },
  { "no upload section, or not a table", function()
      refused("upload must be a table", check.upload, {})
      refused("upload must be a table", check.upload, { upload = "x" })
    end },
  { "cos.bucket and cos.region", function()
      local b, r = check.cos(cfg_with())
      eq(b, "examplebucket-1250000000", "bucket"); eq(r, "ap-guangzhou", "region")
      for _, bad in ipairs { "Example-1250000000", "nobucketappid", "a.b-125", "", 5 } do
        refused("cos%.bucket", check.cos, { cos = { bucket = bad, region = "ap-guangzhou" } })
      end
      for _, bad in ipairs { "ap guangzhou", "AP-X", "", false } do
        refused("cos%.region", check.cos, { cos = { bucket = "b-1", region = bad } })
      end
    end },
  { "policy module names", function()
      eq(type(check.module({}, "shape", { "ok", "error" }).ok), "function", "default module")
      refused("policy%.auth must be a module name", check.module, { policy = { auth = "../x" } }, "auth", {})
      refused("policy%.auth must be a module name", check.module, { policy = { auth = 5 } }, "auth", {})
      refused("policy%.auth: cannot load", check.module, { policy = { auth = "no_such_module" } }, "auth", {})
      refused("has no function check", check.module, { policy = { auth = "policy.shape" } }, "auth", { "check" })
    end },
  { "a strict table refusing an optional key reads as absent", function()
      local strict = setmetatable({ prefix = "u/", ext_allow = { "jpg" } },
        { __index = function(_, k) error("no setting " .. k) end })
      local s = check.upload { upload = strict, cos = {} }
      eq(s.expires, 900, "expires defaulted"); eq(s.user_segment, false, "user_segment defaulted")
    end },
}
