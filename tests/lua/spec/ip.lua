-- gw.ip: address parsing and CIDR sets (trusted proxies). Expected values
-- follow RFC 4632 (IPv4 CIDR), RFC 4291 (IPv6 prefixes, IPv4-mapped
-- addresses) and RFC 5952 (the usual IPv6 text form).
local eq = require("helpers").eq
local ip = require "gw.ip"

return {
  { "parse: valid addresses in their usual form, anything else nil", function()
      eq(ip.parse "192.0.2.1", "192.0.2.1", "IPv4")
      eq(ip.parse "2001:DB8:0:0:0:0:0:1", "2001:db8::1", "IPv6 shortened, lower case")
      eq(ip.parse "::ffff:192.0.2.1", "192.0.2.1", "IPv4-mapped is IPv4")
      eq(ip.parse "::1", "::1", "loopback")
      for _, bad in ipairs { "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4 ",
                             " 1.2.3.4", "1.2.3.4/8", "example.com", "::g", "1:2:3:4:5:6:7:8:9",
                             string.rep("1", 100), "1.2.3.4\0" } do
        eq(ip.parse(bad), nil, ("%q"):format(bad))
      end
    end },
  { "cidrs: IPv4 networks", function()
      local s = assert(ip.cidrs "10.0.0.0/8, 192.168.1.0/24 172.16.0.0/12,203.0.113.7")
      eq(#s, 4, "entries")
      for _, yes in ipairs { "10.0.0.0", "10.255.255.255", "192.168.1.77", "172.31.255.255", "203.0.113.7",
                             "::ffff:10.1.2.3" } do
        eq(s:contains(yes), true, yes)
      end
      for _, no in ipairs { "11.0.0.0", "192.168.2.1", "172.32.0.0", "203.0.113.8", "::1", "", "junk" } do
        eq(s:contains(no), false, no)
      end
      eq(s:contains(nil), false, "nil")
    end },
  { "cidrs: IPv6 networks, /0, lists", function()
      local s = assert(ip.cidrs { "2001:db8::/32", "::1", "fe80::/10" })
      eq(s:contains "2001:db8:ffff::1", true, "in /32"); eq(s:contains "2001:db9::", false, "outside /32")
      eq(s:contains "::1", true, "::1"); eq(s:contains "::2", false, "::2")
      eq(s:contains "febf::1", true, "in fe80::/10"); eq(s:contains "fec0::1", false, "outside fe80::/10")
      eq(s:contains "10.0.0.1", false, "IPv4 is not in IPv6 networks")
      local all4 = assert(ip.cidrs "0.0.0.0/0")
      eq(all4:contains "1.2.3.4", true, "/0 IPv4"); eq(all4:contains "::2", false, "/0 IPv4 has no IPv6")
      local mapped = assert(ip.cidrs "::ffff:10.0.0.0/104")
      eq(mapped:contains "10.9.9.9", true, "mapped network holds IPv4"); eq(mapped:contains "11.0.0.1", false, "mapped /104")
      eq(#assert(ip.cidrs ""), 0, "empty set")
    end },
  { "cidrs: mistakes are nil, message", function()
      for _, bad in ipairs { "10.0.0.1/8", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "::/129", "host.example",
                             "10.0.0.0/-1", "1.2.3.4/0008" } do
        local s, err = ip.cidrs(bad)
        eq(s, nil, bad); assert(type(err) == "string" and err:find("gw.ip.cidrs: ", 1, true), bad .. ": " .. tostring(err))
      end
      eq(pcall(ip.cidrs, { 1 }), false, "a number in the list raises")
      eq(pcall(ip.cidrs), false, "no argument raises")
    end },
}
