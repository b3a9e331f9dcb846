-- @noindex
-- Jobs as the scripts keep them: a batch is what one action started (one request per item),
-- kept in its project (ProjExtState, so it survives closing REAPER), followed by one defer loop
-- per REAPER instance, and inserted in one undo block when all its requests are over.

local json = require('json')
local plan = require('plan')
local place = require('place')
local spool = require('spool')
local transcript = require('transcript')

local jobs = {}

jobs.EXT = 'mvsep_bridge'
jobs.PREFIX = 'batch:'
jobs.READ_EVERY = 0.25  -- seconds between two status-file reads: at most 4 reads a second
jobs.SCAN_EVERY = 1.0  -- seconds between two looks for batches in the open projects
jobs.ALIVE = 1.0  -- a follower that ticked this recently is running: do not start another

local function new_batch(reaper, options)
  return { id = spool.new_id(reaper), created = os.time(), options = options or {}, entries = {} }
end

local function keep(reaper, proj, batch)
  reaper.SetProjExtState(proj, jobs.EXT, jobs.PREFIX .. batch.id, json.encode(batch))
  return batch
end

-- Send one request per item and keep the batch in `proj`. `entries`: {item, window, label,
-- item_values, take_values} (the stem item's values, plan.stem_item).
function jobs.start(reaper, sp, proj, entries, settings, options)
  local batch = new_batch(reaper, options)
  local media = reaper.GetProjectPathEx(proj)
  local named = {}
  for n, e in ipairs(entries) do
    local _, track_name = reaper.GetTrackName(reaper.GetMediaItem_Track(e.item))
    named[n] = { label = e.label, track_name = track_name }
  end
  batch.undo = plan.undo_label(named, settings.name or ('sep_type ' .. settings.sep_type))
  for n, e in ipairs(entries) do
    local request_id = batch.id .. '-' .. n
    local track = reaper.GetMediaItem_Track(e.item)
    local _, item_guid = reaper.GetSetMediaItemInfo_String(e.item, 'GUID', '', false)
    local ok, problem = sp:request({
      kind = 'separate', id = request_id, source = e.window.file,
      start = e.window.start, length = e.window.length,
      sep_type = settings.sep_type, options = settings.options or {}, output_format = settings.output_format,
      destination = media .. '/MVSEP/' .. request_id, label = e.label,
    })
    if not ok then  -- the requests sent so far would have no batch to land in: take them back
      for _, sent in ipairs(batch.entries) do jobs.cancel(reaper, sp, sent.request) end
      return nil, problem
    end
    batch.entries[n] = {
      request = request_id, label = e.label, item = item_guid, track = reaper.GetTrackGUID(track),
      reverse = e.window.reverse, item_values = e.item_values, take_values = e.take_values,
    }
  end
  return keep(reaper, proj, batch)
end

-- Ask for audio made from text options alone (no source), to land at `position` of `proj`.
function jobs.generate(reaper, sp, proj, position, settings, label)
  local batch = new_batch(reaper)
  batch.undo = string.format('MVSEP: insert generated audio at %.3f s (%s)', position, settings.name)
  local request_id = batch.id .. '-1'
  local ok, problem = sp:request({
    kind = 'generate', id = request_id, sep_type = settings.sep_type, options = settings.options or {},
    output_format = settings.output_format, destination = reaper.GetProjectPathEx(proj) .. '/MVSEP/' .. request_id,
    label = label,
  })
  if not ok then return nil, problem end
  batch.entries[1] = { request = request_id, label = label, generate = true, position = position }
  return keep(reaper, proj, batch)
end

-- The follower -------------------------------------------------------------------------------

local Follower = {}
Follower.__index = Follower

function jobs.follower(reaper, sp)
  return setmetatable({ reaper = reaper, spool = sp, batches = {}, next_scan = 0, next_read = 0,
                        cursor = 0 }, Follower)
end

function jobs.follower_running(reaper)
  local last = tonumber(reaper.GetExtState(jobs.EXT, 'follower'))
  return last ~= nil and reaper.time_precise() - last < jobs.ALIVE
end

function Follower:pending()
  local count = 0
  for _ in pairs(self.batches) do count = count + 1 end
  return count
end

-- One defer tick: never waits, at most one status file read.
function Follower:step()
  local reaper = self.reaper
  local now = reaper.time_precise()
  reaper.SetExtState(jobs.EXT, 'follower', tostring(now), false)
  if now >= self.next_scan then
    self:scan()
    self.next_scan = now + jobs.SCAN_EVERY
  end
  if now >= self.next_read then
    self:read_one()
    self.next_read = now + jobs.READ_EVERY
  end
  for key, batch in pairs(self.batches) do
    if self:finished(batch) then self:apply(key, batch) end
  end
  self:publish()
end

-- Call fn(proj, key, batch JSON) for every pending batch of every open project tab.
local function each_batch(reaper, fn)
  local index = 0
  while true do
    local proj = reaper.EnumProjects(index)
    if not proj then return end
    local n = 0
    while true do
      local ok, key, value = reaper.EnumProjExtState(proj, jobs.EXT, n)
      if not ok then break end
      if key:sub(1, #jobs.PREFIX) == jobs.PREFIX then fn(proj, key, value) end
      n = n + 1
    end
    index = index + 1
  end
end

-- Batches of every open project: new ones (a project opened again) are followed from now on.
function Follower:scan()
  local seen = {}
  each_batch(self.reaper, function(proj, key, value)
    seen[key] = true
    local known = self.batches[key]
    if known then
      known.proj = proj
    else
      local data = json.decode(value)
      if data then self.batches[key] = { proj = proj, data = data, status = {} } end
    end
  end)
  for key in pairs(self.batches) do
    if not seen[key] then self.batches[key] = nil end  -- its project was closed: back when reopened
  end
end

function Follower:open_requests()
  local list = {}
  local keys = {}
  for key in pairs(self.batches) do keys[#keys + 1] = key end
  table.sort(keys)
  for _, key in ipairs(keys) do
    local batch = self.batches[key]
    for _, entry in ipairs(batch.data.entries) do
      local status = batch.status[entry.request]
      if not (status and spool.FINAL[status.state]) then list[#list + 1] = { batch, entry } end
    end
  end
  return list
end

function Follower:read_one()
  local open = self:open_requests()
  if #open == 0 then return end
  self.cursor = self.cursor % #open + 1
  local batch, entry = open[self.cursor][1], open[self.cursor][2]
  local status = self.spool:status(entry.request)
  if status then batch.status[entry.request] = status end
end

function Follower:finished(batch)
  for _, entry in ipairs(batch.data.entries) do
    local status = batch.status[entry.request]
    if not (status and spool.FINAL[status.state]) then return false end
  end
  return true
end

-- The project's item/track with this GUID, or nil (deleted meanwhile).
local function find_track(reaper, proj, guid)
  for i = 0, reaper.CountTracks(proj) - 1 do
    local track = reaper.GetTrack(proj, i)
    if reaper.GetTrackGUID(track) == guid then return track end
  end
end

local function find_item(reaper, track, guid)
  for i = 0, reaper.GetTrackNumMediaItems(track) - 1 do
    local item = reaper.GetTrackMediaItem(track, i)
    local _, item_guid = reaper.GetSetMediaItemInfo_String(item, 'GUID', '', false)
    if item_guid == guid then return item end
  end
end

-- Insert the stems of a finished batch into the project that started it (whichever tab is in
-- front), in one undo block with the UI refresh held.
function Follower:apply(key, batch)
  local reaper = self.reaper
  local proj = batch.proj
  self.batches[key] = nil
  if not reaper.ValidatePtr2(nil, proj, 'ReaProject*') then return end  -- closed: back when reopened
  local _, still = reaper.GetProjExtState(proj, jobs.EXT, key)
  if still == '' then return end  -- another follower did it
  -- forgotten before the undo block, so undoing the inserts never brings the batch back
  reaper.SetProjExtState(proj, jobs.EXT, key, '')
  local notes = {}
  local any_done = false
  for _, entry in ipairs(batch.data.entries) do any_done = any_done or batch.status[entry.request].state == 'done' end
  if any_done then  -- nothing to insert (all failed or cancelled): no empty undo point
    reaper.PreventUIRefresh(1)
    reaper.Undo_BeginBlock2(proj)
    local ok, problem = pcall(function() self:insert(proj, batch, notes) end)
    reaper.Undo_EndBlock2(proj, batch.data.undo or 'MVSEP: insert stems', -1)
    reaper.PreventUIRefresh(-1)
    reaper.UpdateArrange()
    if not ok then notes[#notes + 1] = 'inserting stopped: ' .. tostring(problem) end
  else
    self:insert(proj, batch, notes)  -- only says why each request ended
  end
  for _, entry in ipairs(batch.data.entries) do self.spool:consume(entry.request) end
  if #notes > 0 then
    reaper.ShowConsoleMsg('MVSEP Bridge:\n  ' .. table.concat(notes, '\n  ') .. '\n')
  end
end

-- The files of a done request that exist (a status names stems, and other files by kind).
local function present(reaper, entry, files, notes)
  local found = {}
  for _, file in ipairs(files) do
    if reaper.file_exists(file.path) then
      found[#found + 1] = file
    else
      notes[#notes + 1] = entry.label .. ': the result file ' .. file.path .. ' is gone'
    end
  end
  return found
end

local function add_name(group, name)
  if not group.seen[name] then
    group.seen[name] = true
    group.names[#group.names + 1] = name
  end
end

function Follower:insert(proj, batch, notes)
  local reaper = self.reaper
  local options = batch.data.options or {}
  -- results of one source track share its result tracks: collect names per track first
  local by_track, order, generated = {}, {}, {}
  for _, entry in ipairs(batch.data.entries) do
    local status = batch.status[entry.request]
    if status.state ~= 'done' then
      notes[#notes + 1] = entry.label .. ': ' .. status.state .. (status.error and (': ' .. status.error) or '')
                          .. (status.hint and (' (' .. status.hint .. ')') or '')
    elseif entry.generate then
      generated[#generated + 1] = { entry = entry, stems = present(reaper, entry, status.stems or {}, notes) }
    else
      local track = find_track(reaper, proj, entry.track)
      if not track then
        notes[#notes + 1] = entry.label .. ': its track was deleted; the results are in ' .. tostring(status.result_dir)
      else
        if not by_track[entry.track] then
          by_track[entry.track] = { track = track, names = {}, seen = {}, entries = {} }
          order[#order + 1] = entry.track
        end
        local group = by_track[entry.track]
        status.stems = present(reaper, entry, status.stems or {}, notes)
        status.midi = present(reaper, entry, plan.files_of_kind(status.other_files, 'midi'), notes)
        status.srt = present(reaper, entry, plan.files_of_kind(status.other_files, 'text', '.srt'), notes)
        if entry.reverse and #status.midi + #status.srt > 0 then  -- MIDI and words do not run backwards
          notes[#notes + 1] = entry.label .. ': the item plays its source reversed, so its MIDI or transcript '
                              .. 'is not placed; it is in ' .. tostring(status.result_dir)
          status.midi, status.srt = {}, {}
        end
        group.entries[#group.entries + 1] = { entry = entry, status = status }
        for _, file in ipairs(status.midi) do add_name(group, file.name) end
      end
    end
  end
  for _, guid in ipairs(order) do
    local group = by_track[guid]
    local on_tracks = {}
    for _, e in ipairs(group.entries) do
      local original = find_item(reaper, group.track, e.entry.item)
      if not original then
        notes[#notes + 1] = e.entry.label .. ': the item was deleted; its results sit where it was'
      elseif options.mute_original then
        reaper.SetMediaItemInfo_Value(original, 'B_MUTE', 1)
      end
      if options.as_takes and original and not e.entry.reverse then
        for _, stem in ipairs(e.status.stems) do
          place.stem_take(reaper, original, stem.path, stem.name, e.entry.item_values, e.entry.take_values)
        end
      else
        on_tracks[#on_tracks + 1] = e
        for _, stem in ipairs(e.status.stems) do add_name(group, stem.name) end
      end
      for _, file in ipairs(e.status.srt) do
        local text = spool.read_file(file.path)
        local segments = text and transcript.parse_srt(text) or {}
        for _, region in ipairs(transcript.regions(segments, e.entry.item_values, e.entry.take_values)) do
          reaper.AddProjectMarker2(proj, true, region.start, region.stop, region.name, -1, 0)
        end
      end
    end
    if #group.names > 0 then
      local result_tracks = place.stem_tracks(reaper, proj, group.track, group.names, options.folder)
      for _, e in ipairs(on_tracks) do
        for _, stem in ipairs(e.status.stems) do
          place.stem_item(reaper, proj, result_tracks[stem.name], stem.path, stem.name,
                          e.entry.item_values, e.entry.take_values, e.entry.reverse)
        end
      end
      -- MIDI (Basic Pitch, SOME, Transkun) on its own track, even when stems become takes
      for _, e in ipairs(group.entries) do
        local item_values, take_values = plan.midi_item(e.entry.item_values, e.entry.take_values)
        for _, file in ipairs(e.status.midi) do
          place.stem_item(reaper, proj, result_tracks[file.name], file.path, file.name, item_values, take_values, false)
        end
      end
    end
  end
  for _, g in ipairs(generated) do
    place.generated(reaper, proj, g.entry.label, g.entry.position, g.stems)
  end
end

-- What the jobs window shows (a non-persistent ExtState: memory, not a file).
function Follower:publish()
  local rows = {}
  for key, batch in pairs(self.batches) do
    for _, entry in ipairs(batch.data.entries) do
      local s = batch.status[entry.request] or { state = 'sent' }
      rows[#rows + 1] = { batch = key, request = entry.request, label = entry.label, state = s.state,
                          progress = s.progress, queue_position = s.queue_position, queue_count = s.queue_count,
                          chunks_done = s.chunks_done, chunks_total = s.chunks_total, error = s.error }
    end
  end
  table.sort(rows, function(a, b) return a.request < b.request end)
  local text = json.encode(rows)
  if text ~= self.published then  -- only on a change: the window reads it every frame
    self.reaper.SetExtState(jobs.EXT, 'jobs', text, false)
    self.published = text
  end
end

-- Run the follower in a defer loop until no batch is left (and `keep` says so).
function jobs.follow(reaper, sp, keep)
  local follower = jobs.follower(reaper, sp)
  local function loop()
    follower:step()
    if follower:pending() > 0 or (keep and keep()) then
      reaper.defer(loop)
    else  -- ended: the next action must start a follower, not take this one for running
      reaper.DeleteExtState(jobs.EXT, 'follower', false)
    end
  end
  loop()
  return follower
end

-- Ask the daemon to cancel every request of every open project's pending batches.
function jobs.cancel_all(reaper, sp)
  local count = 0
  each_batch(reaper, function(_, _, value)
    local data = json.decode(value)
    for _, entry in ipairs(data and data.entries or {}) do
      local status = sp:status(entry.request)
      if not (status and spool.FINAL[status.state]) then
        jobs.cancel(reaper, sp, entry.request)
        count = count + 1
      end
    end
  end)
  return count
end

function jobs.cancel(reaper, sp, request_id)
  return sp:request({ kind = 'cancel', id = spool.new_id(reaper) .. '-c', target = request_id })
end

return jobs
