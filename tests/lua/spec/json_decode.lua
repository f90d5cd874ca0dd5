-- gw.json.decode keeps every byte of a string: an escaped NUL is a NUL
-- inside the string (as JSON.parse gives it), in values and in names,
-- never the end of the string. Texts JSON does not allow are refused.
local eq = require("helpers").eq
local json = require "gw.json"

return {
  { "an escaped NUL does not cut a string", function()
      local s = json.decode '"a\\u0000b"'
      eq(#s, 3, "length"); eq(s, "a\0b", "value")
      local t = json.decode '{"tok":"x\\u0000.evil","k\\u0000":1}'
      eq(t.tok, "x\0.evil", "member value")
      eq(t["k\0"], 1, "member name"); eq(t.k, nil, "no cut name")
      eq(json.decode '["\\u0000"]'[1], "\0", "array element")
    end },
  { "escapes and surrogate pairs", function()
      eq(json.decode '"\\ud83d\\ude00\\u4e2d\\n"', "😀中\n", "decoded")
      eq(json.decode '"\\ud83d"', nil, "lone surrogate refused")
    end },
  { "numbers", function()
      eq(math.type(json.decode "9007199254740993"), "integer", "integer")
      eq(json.decode "9007199254740993", 9007199254740993, "exact beyond 2^53")
      eq(json.decode "1.5", 1.5, "float"); eq(json.decode "-0.5e1", -5, "exponent")
    end },
  { "refusals", function()
      for _, bad in ipairs { "", "[1,]", "01", "'a'", '"a\nb"', '"\255"', "[1] x" } do
        local v, err = json.decode(bad)
        eq(v, nil, ("decode %q"):format(bad)); eq(err, "invalid JSON", "message")
      end
      local deep = string.rep("[", 40) .. string.rep("]", 40)
      eq(json.decode(deep), nil, "too deep")
    end },
  { "round trip keeps NUL bytes", function()
      local s = "a\0b\1c"
      eq(json.decode(json.encode(s)), s, "round trip")
    end },
}
