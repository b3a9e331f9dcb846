-- @noindex
-- Transcripts (Whisper, Parakeet): the segments of an SRT file and the project regions they
-- become. Pure functions: reading the file and adding the regions is the caller's.

local transcript = {}

local TIME = '(%d+):(%d+):(%d+)[,.](%d+)'

local function seconds(h, m, s, fraction)
  return tonumber(h) * 3600 + tonumber(m) * 60 + tonumber(s) + tonumber('0.' .. fraction)
end

-- {start, stop, text} of each SRT block (seconds of the transcribed audio); blocks without a
-- timing line are skipped.
function transcript.parse_srt(text)
  local segments = {}
  text = text:gsub('^\239\187\191', ''):gsub('\r\n?', '\n')
  for block in (text .. '\n\n'):gmatch('(.-)\n\n+') do
    local h1, m1, s1, f1, h2, m2, s2, f2, rest =
      block:match(TIME .. '%s*%-%->%s*' .. TIME .. '[^\n]*\n?(.*)$')
    if h1 then
      local words = rest:gsub('%s+', ' '):match('^%s*(.-)%s*$')
      segments[#segments + 1] = { start = seconds(h1, m1, s1, f1), stop = seconds(h2, m2, s2, f2), text = words }
    end
  end
  return segments
end

-- The project regions of `segments` for an item placed with these stem item/take values: section
-- time s plays at D_POSITION + (s - D_STARTOFFS) / D_PLAYRATE; clipped to the item.
function transcript.regions(segments, item_values, take_values)
  local position, length = item_values.D_POSITION, item_values.D_LENGTH
  local offset, playrate = take_values.D_STARTOFFS, take_values.D_PLAYRATE
  local regions = {}
  for _, segment in ipairs(segments) do
    local start = math.max(position + (segment.start - offset) / playrate, position)
    local stop = math.min(position + (segment.stop - offset) / playrate, position + length)
    if stop > start then regions[#regions + 1] = { start = start, stop = stop, name = segment.text } end
  end
  return regions
end

return transcript
