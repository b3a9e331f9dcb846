-- @noindex
-- The scripts' side of the spool (protocol: bridges/reaper/__init__.py in mvsep-bridge). Plain
-- Lua file I/O only: no sockets, no shell, so no user path ever reaches a command line.

local json = require('json')

local spool = {}
spool.__index = spool

spool.CONFIG = 'mvsep-bridge.json'  -- next to the scripts, written by `mvsep-bridge install-reaper`
spool.HEARTBEAT_STALE = 10  -- seconds: an older heartbeat means the daemon is not running

-- A whole file's text, or nil when it cannot be read
function spool.read_file(path)
  local handle = io.open(path, 'rb')
  if not handle then return nil end
  local text = handle:read('a')
  handle:close()
  return text
end

local function read_json(path)
  local text = spool.read_file(path)
  if not text then return nil end
  return json.decode(text)
end

-- The spool of this installation, or nil and what to do.
function spool.locate(reaper, scripts_dir)
  local config = read_json(scripts_dir .. '/' .. spool.CONFIG)
  if not config or type(config.spool) ~= 'string' then
    return nil, 'MVSEP Bridge is not set up: run `mvsep-bridge install-reaper` once, then restart REAPER.'
  end
  return setmetatable({ root = config.spool, reaper = reaper, daemon = config.daemon }, spool)
end

function spool:path(...)
  return table.concat({ self.root, ... }, '/')
end

-- Write a request atomically: readers see nothing or the whole file.
function spool:request(request)
  self.reaper.RecursiveCreateDirectory(self:path('requests'), 0)
  local final = self:path('requests', request.id .. '.json')
  local temp = final .. '.tmp'
  local handle, problem = io.open(temp, 'wb')
  if not handle then return nil, 'cannot write to the spool (' .. tostring(problem) .. ')' end
  handle:write(json.encode(request))
  handle:close()
  local ok, rename_problem = os.rename(temp, final)
  if not ok then
    os.remove(temp)
    return nil, 'cannot write to the spool (' .. tostring(rename_problem) .. ')'
  end
  return true
end

function spool:status(request_id)
  return read_json(self:path('status', request_id .. '.json'))
end

-- The final status was used: the daemon never writes it again.
function spool:consume(request_id)
  os.remove(self:path('status', request_id .. '.json'))
end

function spool:catalog()
  local catalog = read_json(self:path('catalog.json'))
  return catalog and catalog.algorithms
end

function spool:daemon_running()
  local beat = read_json(self:path('daemon.json'))
  return beat ~= nil and type(beat.time) == 'number' and os.time() - beat.time < spool.HEARTBEAT_STALE
end

-- Start `mvsep-bridge daemon` without waiting. The command line is the installed console script
-- (written by install-reaper) and a fixed word: no user path, nothing a shell could read as more.
function spool:start_daemon()
  local exe = self.daemon
  if type(exe) ~= 'string' or exe == '' or exe:find('["\n\r]') then
    return nil, 'the daemon command is unknown: run `mvsep-bridge install-reaper` again'
  end
  self.reaper.ExecProcess('"' .. exe .. '" daemon', -1)  -- -1: do not wait
  return true
end

-- A request id: sortable, unique, a plain file name.
function spool.new_id(reaper)
  return os.date('!%Y%m%d-%H%M%S') .. '-' .. reaper.genGuid():gsub('[^%x]', ''):sub(1, 12):lower()
end

spool.FINAL = { done = true, failed = true, cancelled = true, rejected = true }

return spool
