-- @noindex
-- Planning: what to send for an item and where its stems go. Reads the project through the
-- `reaper` table it is given and never changes it (place.lua applies a plan), so the same
-- functions run in REAPER and against the test's fake.

local plan = {}

plan.DASH = ' \u{2013} '  -- "<track> – <stem>"

-- "item 2 on track 'Drums' at 12.500 s (take 'song')": how a message names an item
function plan.describe_item(reaper, item)
  local track = reaper.GetMediaItem_Track(item)
  local _, track_name = reaper.GetTrackName(track)
  local index = 0
  for i = 0, reaper.GetTrackNumMediaItems(track) - 1 do
    if reaper.GetTrackMediaItem(track, i) == item then index = i + 1 end
  end
  local text = string.format("item %d on track '%s' at %.3f s", index, track_name,
                             reaper.GetMediaItemInfo_Value(item, 'D_POSITION'))
  local take = reaper.GetActiveTake(item)
  if take then text = text .. string.format(" (take '%s')", reaper.GetTakeName(take)) end
  return text
end

-- The file a source reads and how its time maps onto the file's: file = a + b * t, b = ±1
-- (reversed sections run backwards). Sections nest: walk up GetMediaSourceParent.
function plan.source_file(reaper, source)
  local a, b = 0.0, 1.0
  local current = source
  while true do
    local parent = reaper.GetMediaSourceParent(current)
    if not parent then break end
    local is_section, offset, length, reverse = reaper.PCM_Source_GetSectionInfo(current)
    if is_section then
      if reverse then a, b = offset + length - a, -b else a = offset + a end
    end
    current = parent
  end
  return current, a, b
end

local function refuse(reaper, item, why)
  return nil, plan.describe_item(reaper, item) .. ': ' .. why
end

-- What makes a take sound other than its source, or nil: then the source is not what is heard.
function plan.processed(reaper, take)
  if reaper.TakeFX_GetCount(take) > 0 then return 'take FX' end
  if reaper.GetTakeNumStretchMarkers(take) > 0 then return 'stretch markers' end
end

-- The project time [t0, t1] of `item` that is wanted (clipped to `range`), or nil.
function plan.span(reaper, item, range)
  local position = reaper.GetMediaItemInfo_Value(item, 'D_POSITION')
  local t0, t1 = position, position + reaper.GetMediaItemInfo_Value(item, 'D_LENGTH')
  if range then t0, t1 = math.max(t0, range[1]), math.min(t1, range[2]) end
  if t1 > t0 then return t0, t1 end
end

-- How takes with FX or stretch markers are sent (the user's choice, see actions.OPTIONS):
-- 'heard' rendered first (heard.lua), 'raw' as their source, 'refuse' not at all.
plan.PROCESSED = { 'heard', 'raw', 'refuse' }

-- The window of one item: which part of which file it plays and how a stem of that part must be
-- placed to play in sync. `range` (optional, project seconds {start, stop}) clips to the time
-- selection; `options.processed` says what to do with a take whose FX or stretch markers make it
-- sound other than its source: for 'heard' the window is only {render = why, length}, filled in
-- once the take is rendered. Returns the window or nil and a message naming the item.
function plan.window(reaper, item, range, options)
  options = options or {}
  local take = reaper.GetActiveTake(item)
  if not take then return refuse(reaper, item, 'the item is empty (no take)') end
  if reaper.TakeIsMIDI(take) then return refuse(reaper, item, 'a MIDI item has no audio to separate') end
  local source = reaper.GetMediaItemTake_Source(take)
  if not source then return refuse(reaper, item, 'the take has no source') end
  local file_source, a, b = plan.source_file(reaper, source)
  local file = reaper.GetMediaSourceFileName(file_source)
  local rate = reaper.GetMediaSourceSampleRate(file_source)
  local channels = reaper.GetMediaSourceNumChannels(file_source)
  if file == '' then return refuse(reaper, item, 'the source is not a file') end
  if rate <= 0 or channels <= 0 then
    return refuse(reaper, item, 'the source is offline (' .. file .. '); bring the file back first')
  end
  local t0, t1 = plan.span(reaper, item, range)
  if not t0 then return refuse(reaper, item, 'the item is outside the time selection') end
  local processed = plan.processed(reaper, take)
  if processed and options.processed ~= 'raw' then
    if options.processed == 'refuse' then
      return refuse(reaper, item, 'the take has ' .. processed .. ', so the raw source is not what you hear; '
        .. 'choose "heard" (render it first) or "raw" for such takes in "MVSEP Bridge: settings"')
    end
    return { render = processed, length = t1 - t0 }
  end
  local file_length = reaper.GetMediaSourceLength(file_source)

  local position = reaper.GetMediaItemInfo_Value(item, 'D_POSITION')
  local length = reaper.GetMediaItemInfo_Value(item, 'D_LENGTH')
  local offset = reaper.GetMediaItemTakeInfo_Value(take, 'D_STARTOFFS')
  local playrate = reaper.GetMediaItemTakeInfo_Value(take, 'D_PLAYRATE')

  -- the take's source time played there, then the file's
  local s0 = offset + (t0 - position) * playrate
  local s1 = offset + (t1 - position) * playrate
  local f0, f1 = a + b * s0, a + b * s1
  local reverse = b < 0
  if reverse then f0, f1 = f1, f0 end
  -- only what the file has (an item stretched past its source plays silence or loops there)
  local c0, c1 = math.max(f0, 0), math.min(f1, file_length)
  if c1 <= c0 then return refuse(reaper, item, 'the item plays nothing of its source') end
  -- trimmed file time → project time at both ends (mirrored when reversed)
  local cut_start = ((reverse and (f1 - c1)) or (c0 - f0)) / playrate
  local cut_end = ((reverse and (c0 - f0)) or (f1 - c1)) / playrate
  t0, t1 = t0 + cut_start, t1 - cut_end

  -- whole frames: the daemon cuts exactly floor(x * rate + 0.5) frames from here
  local first = math.floor(c0 * rate + 0.5)
  local frames = math.floor((c1 - c0) * rate + 0.5)
  return {
    file = file, rate = rate, channels = channels,
    start = first / rate, length = frames / rate, frames = frames,
    reverse = reverse,
    position = t0, item_length = t1 - t0,
    -- where the stem's own time starts playing: the sub-frame part the whole frames left out
    stem_offset = reverse and ((first + frames) / rate - c1) or (c0 - first / rate),
    clipped_start = t0 > position + 1e-9, clipped_end = t1 < position + length - 1e-9,
  }
end

-- Item and take properties a stem item copies, so it sounds as the original does.
plan.ITEM_KEYS = { 'D_VOL', 'D_FADEINLEN', 'D_FADEOUTLEN', 'C_FADEINSHAPE', 'C_FADEOUTSHAPE',
                   'D_FADEINDIR', 'D_FADEOUTDIR', 'D_SNAPOFFSET' }
plan.TAKE_KEYS = { 'D_PLAYRATE', 'B_PPITCH', 'D_PITCH', 'I_PITCHMODE', 'D_VOL', 'D_PAN', 'D_PANLAW',
                   'I_CHANMODE' }

-- The values of the stem item and take for `window` of `item`.
function plan.stem_item(reaper, item, window)
  local take = reaper.GetActiveTake(item)
  local item_values, take_values = {}, {}
  for _, key in ipairs(plan.ITEM_KEYS) do item_values[key] = reaper.GetMediaItemInfo_Value(item, key) end
  for _, key in ipairs(plan.TAKE_KEYS) do take_values[key] = reaper.GetMediaItemTakeInfo_Value(take, key) end
  -- a fade belongs to an edge: a clipped edge is not the item's edge any more
  if window.clipped_start then item_values.D_FADEINLEN = 0 end
  if window.clipped_end then item_values.D_FADEOUTLEN = 0 end
  item_values.D_POSITION = window.position
  item_values.D_LENGTH = window.item_length
  item_values.B_LOOPSRC = 0
  take_values.D_STARTOFFS = window.stem_offset
  return item_values, take_values
end

-- A MIDI result's item: where the stem item would be, with the take's offset and playrate (the
-- notes' times are the separated section's); pitch, volume and channel keys are audio's.
function plan.midi_item(item_values, take_values)
  return { D_POSITION = item_values.D_POSITION, D_LENGTH = item_values.D_LENGTH, B_LOOPSRC = 0 },
         { D_STARTOFFS = take_values.D_STARTOFFS, D_PLAYRATE = take_values.D_PLAYRATE }
end

-- The files of a status's other_files of one kind (midi, text, ...), optionally with this ending
function plan.files_of_kind(files, kind, ending)
  local found = {}
  for _, file in ipairs(files or {}) do
    if file.kind == kind and (not ending or file.path:lower():sub(-#ending) == ending) then
      found[#found + 1] = file
    end
  end
  return found
end

-- Where the stem tracks of `track` are or go. `tracks` is the project's track list as plain
-- tables {name, depth, guid, stem_of, stem} (see place.track_list). Returns, per stem name,
-- {index} of an existing track or {index, new, name, depth} of one to insert (0-based indices,
-- in insertion order), and `depths`: folder-depth changes of existing tracks. The stems sit right
-- under the source track (after its earlier stem tracks), inside every folder it was inside;
-- `as_folder` makes the source track their folder.
function plan.stem_tracks(tracks, source_index, stems, as_folder)
  local source = tracks[source_index + 1]
  local existing, last = {}, source_index
  for i = source_index + 2, #tracks do
    local t = tracks[i]
    if t.stem_of ~= source.guid then break end
    existing[t.stem] = i - 1
    last = i - 1
  end
  local result = { tracks = {}, depths = {} }
  local new = {}
  for _, stem in ipairs(stems) do
    if existing[stem] then
      result.tracks[stem] = { index = existing[stem] }
    else
      new[#new + 1] = stem
      result.tracks[stem] = { index = last + #new, new = true, name = source.name .. plan.DASH .. stem, depth = 0 }
    end
  end
  if #new == 0 then return result end
  -- the track that closed folders (the last of the block) hands that over to the last new one
  local closing = tracks[last + 1].depth
  local final = result.tracks[new[#new]]
  if as_folder and last == source_index and source.depth <= 0 then
    result.depths[source_index] = 1
    final.depth = closing - 1
  elseif closing < 0 then
    result.depths[last] = 0
    final.depth = closing
  end
  return result
end

-- The catalog's algorithms that take this input ('audio': separation and the like; 'none':
-- generation and speech from text). Entries of an older bridge have no `input`: audio.
function plan.taking(catalog, input)
  local found = {}
  for _, algorithm in ipairs(catalog) do
    if (algorithm.input or 'audio') == input then found[#found + 1] = algorithm end
  end
  return found
end

-- A generated file's item: at `position`, as long as the file.
function plan.generated_item(position, stem)
  return { D_POSITION = position, D_LENGTH = stem.frames / stem.sample_rate, B_LOOPSRC = 0 }
end

-- A stem's name from its file name ("vocals.flac" -> "vocals")
function plan.stem_name(file)
  return (file:match('([^/\\]+)$') or file):gsub('%.[^.]*$', '')
end

-- What a job's undo point says: which items (one by its label, else how many on which tracks) and
-- the algorithm. `entries`: {label, track_name}; `algorithm`: its name.
function plan.undo_label(entries, algorithm)
  local tracks, names = {}, {}
  for _, e in ipairs(entries) do
    if not tracks[e.track_name] then tracks[e.track_name] = true; names[#names + 1] = e.track_name end
  end
  local subject = #entries == 1 and entries[1].label
    or #names == 1 and string.format("%d items on track '%s'", #entries, names[1])
    or string.format('%d items on %d tracks', #entries, #names)
  return string.format('MVSEP: insert stems of %s (%s)', subject, algorithm)
end

-- MVSEP's price: credits = max(1, floor(seconds * coefficient / 60)), per item
function plan.credits(windows, coefficient)
  local total = 0
  for _, w in ipairs(windows) do total = total + math.max(1, math.floor(w.length * coefficient / 60)) end
  return total
end

return plan
