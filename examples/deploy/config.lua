-- signgw production config: /etc/signgw/config.lua for signgw.service.
--
-- The shipped defaults, with the scripts from /opt/signgw/lua, and your
-- own modules in /etc/signgw/lua first (e.g. policy/auth.lua, your
-- permission check). Bucket, region and credentials come from the
-- service's environment.
local c = dofile("/opt/signgw/lua/config.lua")

c.paths = { "/etc/signgw/lua", "/opt/signgw/lua" }

-- The socket signgw.socket holds (the address must match it exactly);
-- TLS with SGW_TLS_CERT and SGW_TLS_KEY.
c.listen = { addr = "0.0.0.0:443", tls = true }

return c
