-- @noindex
-- A small JSON encoder/decoder in pure Lua for the spool files (REAPER ships no JSON library).
-- Objects are Lua tables with string keys, arrays are sequences; `json.null` stands for null in
-- what decode returns only where a position must be kept (arrays); object members that are null
-- are left out. Numbers keep full precision (%.17g).

local json = {}

json.null = setmetatable({}, { __tostring = function() return "null" end })

local escapes = { ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f',
                  ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t' }

local function encode_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return escapes[c] or string.format('\\u%04x', c:byte())
  end) .. '"'
end

local function is_array(t)
  local n = 0
  for k in pairs(t) do
    if type(k) ~= 'number' or k <= 0 or k % 1 ~= 0 then return false end
    n = math.max(n, k)
  end
  return n == #t
end

local function encode(value, seen)
  local kind = type(value)
  if value == nil or value == json.null then return 'null' end
  if kind == 'boolean' then return tostring(value) end
  if kind == 'number' then
    if value ~= value or value == math.huge or value == -math.huge then
      error('json: cannot encode ' .. tostring(value))
    end
    if math.type(value) == 'integer' then return string.format('%d', value) end
    return string.format('%.17g', value)
  end
  if kind == 'string' then return encode_string(value) end
  if kind ~= 'table' then error('json: cannot encode a ' .. kind) end
  if seen[value] then error('json: a table contains itself') end
  seen[value] = true
  local parts = {}
  if next(value) ~= nil and is_array(value) then
    for i = 1, #value do parts[i] = encode(value[i], seen) end
    seen[value] = nil
    return '[' .. table.concat(parts, ',') .. ']'
  end
  local keys = {}
  for k in pairs(value) do
    if type(k) ~= 'string' then error('json: object keys must be strings') end
    keys[#keys + 1] = k
  end
  table.sort(keys)  -- stable output: the same table always gives the same bytes
  for i, k in ipairs(keys) do parts[i] = encode_string(k) .. ':' .. encode(value[k], seen) end
  seen[value] = nil
  return '{' .. table.concat(parts, ',') .. '}'
end

function json.encode(value) return encode(value, {}) end

-- decoding ------------------------------------------------------------------------------------

local function fail(pos, what)
  error(string.format('json: %s at character %d', what, pos), 0)
end

local function skip(text, pos)
  return text:find('[^ \t\r\n]', pos) or #text + 1
end

local decode_value

local function decode_string(text, pos)
  local out, i = {}, pos + 1
  while true do
    local c = text:sub(i, i)
    if c == '' then fail(pos, 'unterminated string') end
    if c == '"' then return table.concat(out), i + 1 end
    if c == '\\' then
      local e = text:sub(i + 1, i + 1)
      local simple = ({ b = '\b', f = '\f', n = '\n', r = '\r', t = '\t', ['"'] = '"', ['\\'] = '\\', ['/'] = '/' })[e]
      if simple then
        out[#out + 1] = simple
        i = i + 2
      elseif e == 'u' then
        local hex = text:sub(i + 2, i + 5)
        if not hex:match('^%x%x%x%x$') then fail(i, 'bad \\u escape') end
        local code = tonumber(hex, 16)
        i = i + 6
        if code >= 0xD800 and code <= 0xDBFF and text:sub(i, i + 1) == '\\u' then
          local low = tonumber(text:sub(i + 2, i + 5), 16)
          if low and low >= 0xDC00 and low <= 0xDFFF then
            code = 0x10000 + (code - 0xD800) * 0x400 + (low - 0xDC00)
            i = i + 6
          end
        end
        out[#out + 1] = utf8.char(code)
      else
        fail(i, 'bad escape')
      end
    elseif c:byte() < 32 then
      fail(i, 'control character in string')
    else
      local j = text:find('["\\%c]', i) or #text + 1
      out[#out + 1] = text:sub(i, j - 1)
      i = j
    end
  end
end

local function decode_number(text, pos)
  local s = text:match('^-?%d+%.?%d*[eE]?[-+]?%d*', pos)
  local n = s and tonumber(s)
  if not n then fail(pos, 'bad number') end
  return n, pos + #s
end

function decode_value(text, pos)
  pos = skip(text, pos)
  local c = text:sub(pos, pos)
  if c == '{' then
    local obj = {}
    pos = skip(text, pos + 1)
    if text:sub(pos, pos) == '}' then return obj, pos + 1 end
    while true do
      if text:sub(pos, pos) ~= '"' then fail(pos, 'expected a key') end
      local key
      key, pos = decode_string(text, pos)
      pos = skip(text, pos)
      if text:sub(pos, pos) ~= ':' then fail(pos, "expected ':'") end
      local value
      value, pos = decode_value(text, pos + 1)
      if value ~= json.null then obj[key] = value end
      pos = skip(text, pos)
      local sep = text:sub(pos, pos)
      if sep == '}' then return obj, pos + 1 end
      if sep ~= ',' then fail(pos, "expected ',' or '}'") end
      pos = skip(text, pos + 1)
    end
  elseif c == '[' then
    local arr = {}
    pos = skip(text, pos + 1)
    if text:sub(pos, pos) == ']' then return arr, pos + 1 end
    while true do
      local value
      value, pos = decode_value(text, pos)
      arr[#arr + 1] = value
      pos = skip(text, pos)
      local sep = text:sub(pos, pos)
      if sep == ']' then return arr, pos + 1 end
      if sep ~= ',' then fail(pos, "expected ',' or ']'") end
      pos = pos + 1
    end
  elseif c == '"' then
    return decode_string(text, pos)
  elseif c == '-' or c:match('%d') then
    return decode_number(text, pos)
  elseif text:sub(pos, pos + 3) == 'true' then
    return true, pos + 4
  elseif text:sub(pos, pos + 4) == 'false' then
    return false, pos + 5
  elseif text:sub(pos, pos + 3) == 'null' then
    return json.null, pos + 4
  end
  fail(pos, c == '' and 'unexpected end' or 'unexpected character')
end

-- Returns the value, or nil and the reason (a partial or damaged file is not an error to raise).
function json.decode(text)
  local ok, value, pos = pcall(decode_value, text, 1)
  if not ok then return nil, value end
  if skip(text, pos) <= #text then return nil, 'json: trailing characters at ' .. pos end
  return value
end

return json
