-- Object keys: validating the client's extension and choosing where the
-- file goes. The client never picks the key.
local crypto, time = require "gw.crypto", require "gw.time"

local M = {}

local allow_sets = setmetatable({}, { __mode = "k" })

-- The allowlist as a set. Only entries that are safe in a key count: an
-- operator's typo cannot let "../" or "php " through.
local function allow_set(list)
  local set = allow_sets[list]
  if not set then
    set = {}
    for _, ext in ipairs(list) do
      ext = ext:lower()
      if #ext <= 16 and ext:match "^[a-z0-9]+$" then set[ext] = true end
    end
    allow_sets[list] = set
  end
  return set
end

-- ext(raw, allow_list) -> ext, or nil, message.
-- Lower-cased, then it must be on the allowlist: that alone keeps out
-- "../x", "jpg.php", NUL bytes and anything non-ASCII.
function M.ext(raw, allow_list)
  if type(raw) ~= "string" or raw == "" then
    return nil, "ext is required"
  end
  local set = allow_set(allow_list)
  if set[raw] then return raw end -- already lower case: the usual request
  local ext = raw:lower()
  if not set[ext] then
    return nil, "file type not allowed"
  end
  return ext
end

-- user(u) -> u as a key segment, or nil, message.
-- 1 to 64 of [A-Za-z0-9_-] (a non-negative integer counts as its digits):
-- no '/', no '.', so a user can neither leave its folder nor name "..".
-- Users seen valid are remembered (a few thousand at most): the same
-- user uploads again and again, and a table lookup is cheaper than the
-- pattern.
local valid, nvalid = {}, 0

function M.user(u)
  if valid[u] then return u end
  if math.type(u) == "integer" and u >= 0 then u = tostring(u) end
  if type(u) ~= "string" or #u > 64 or not u:match "^[%w_%-]+$" then
    return nil, "no valid user for this upload"
  end
  if nvalid >= 4096 then valid, nvalid = {}, 0 end
  valid[u], nvalid = true, nvalid + 1
  return u
end

-- random(prefix, ext [, user]) ->
--   "<prefix>[<user>/]YYYYMMDD/<unix time>_<128 random bits>.<ext>",
-- or nil, message for a user that is not a valid key segment (M.user).
-- Only [A-Za-z0-9/_.-]: the PUT client puts the key in the URL unencoded.
-- 128 bits from OpenSSL's CSPRNG: unguessable, and collisions never happen
-- in practice.
local last, day, stamp = -1, nil, nil

function M.random(prefix, ext, user)
  local now = time.unix()
  if now ~= last then -- the date and the time stamp: formatted once a second
    last, day, stamp = now, time.format("%Y%m%d", now), tostring(now)
  end
  if user ~= nil then
    local u, err = M.user(user)
    if not u then return nil, err end
    return prefix .. u .. "/" .. day .. "/" .. stamp .. "_" .. crypto.random_hex(16) .. "." .. ext
  end
  return prefix .. day .. "/" .. stamp .. "_" .. crypto.random_hex(16) .. "." .. ext
end

-- A prefix the key builder accepts: safe characters, no leading '/',
-- no "..", empty or ending with '/'.
function M.valid_prefix(prefix)
  return type(prefix) == "string"
    and prefix:match("^[A-Za-z0-9/_.-]*$") ~= nil
    and prefix:sub(1, 1) ~= "/"
    and not prefix:find("..", 1, true)
    and (prefix == "" or prefix:sub(-1) == "/")
end

return M
