-- GET /_signgw/status -> { generation, reloads, failed_reloads, workers }
-- For operators on this machine only: anyone else gets 403.
local local_addrs = { ["127.0.0.1"] = true, ["::1"] = true, ["::ffff:127.0.0.1"] = true }

return function(req)
  if not local_addrs[req.remote_addr] then
    return 403, { error = "forbidden", message = "status is for local clients only" }
  end
  return 200, gw.status()
end
