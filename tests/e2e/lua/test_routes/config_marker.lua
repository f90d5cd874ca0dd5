-- GET /config-marker: the config's `marker` field, the VM's generation and
-- the worker (for tests that swap or rewrite the config file itself).
return function(req, ctx)
  return 200, { marker = ctx.config.marker, generation = gw.generation, worker = ctx.worker_id }
end
