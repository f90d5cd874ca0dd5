-- GET /hard/membomb-fill: fills the VM's memory to the last few bytes
-- (ever smaller strings, each failure caught), keeps all of it, then
-- fails: whatever runs on the error path finds no memory left.
return function(req, ctx)
  local keep = {}
  for i = 1, 200000 do
    keep[i] = false -- room up front: storing never grows the table
  end
  local i, size = 0, 1048576
  while size >= 2 and i < 200000 do
    local ok, s = pcall(string.rep, "f", size, i)
    if ok then
      i = i + 1
      keep[i] = s
    else
      size = size // 2
    end
  end
  error("membomb-fill kept " .. i .. " strings")
end
