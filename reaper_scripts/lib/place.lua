-- @noindex
-- Applying a plan: stem tracks under the source track and stem items where the originals sit.
-- Every change of one job happens inside one undo block with UI refresh held (see insert_job).

local plan = require('plan')

local place = {}

local EXT_OF, EXT_STEM = 'P_EXT:mvsep_stem_of', 'P_EXT:mvsep_stem'
local TAKE_REVERSE = 41051  -- "Item properties: Toggle take reverse"

local function track_ext(reaper, track, key)
  local _, value = reaper.GetSetMediaTrackInfo_String(track, key, '', false)
  return value
end

-- The project's tracks as plain tables for plan.stem_tracks
function place.track_list(reaper, proj)
  local list = {}
  for i = 0, reaper.CountTracks(proj) - 1 do
    local track = reaper.GetTrack(proj, i)
    local _, name = reaper.GetTrackName(track)
    list[#list + 1] = {
      name = name, guid = reaper.GetTrackGUID(track),
      depth = math.floor(reaper.GetMediaTrackInfo_Value(track, 'I_FOLDERDEPTH')),
      stem_of = track_ext(reaper, track, EXT_OF), stem = track_ext(reaper, track, EXT_STEM),
    }
  end
  return list
end

function place.track_index(reaper, proj, track)
  return math.floor(reaper.GetMediaTrackInfo_Value(track, 'IP_TRACKNUMBER')) - 1
end

-- The stem tracks of `track` for `stems` (names), made where missing; returns name -> track.
function place.stem_tracks(reaper, proj, track, stems, as_folder)
  local tracks = place.track_list(reaper, proj)
  local wanted = plan.stem_tracks(tracks, place.track_index(reaper, proj, track), stems, as_folder)
  local source_guid = reaper.GetTrackGUID(track)
  for index, depth in pairs(wanted.depths) do
    reaper.SetMediaTrackInfo_Value(reaper.GetTrack(proj, index), 'I_FOLDERDEPTH', depth)
  end
  for _, stem in ipairs(stems) do  -- plan order: each insert lands right after the previous one
    local spec = wanted.tracks[stem]
    if spec.new then
      reaper.InsertTrackInProject(proj, spec.index, 0)
      local made = reaper.GetTrack(proj, spec.index)
      reaper.GetSetMediaTrackInfo_String(made, 'P_NAME', spec.name, true)
      reaper.GetSetMediaTrackInfo_String(made, EXT_OF, source_guid, true)
      reaper.GetSetMediaTrackInfo_String(made, EXT_STEM, stem, true)
      reaper.SetMediaTrackInfo_Value(made, 'I_FOLDERDEPTH', spec.depth)
    end
  end
  local result = {}
  for _, stem in ipairs(stems) do result[stem] = reaper.GetTrack(proj, wanted.tracks[stem].index) end
  return result
end

-- One stem item on `track` from the planned values, playing `path`.
function place.stem_item(reaper, proj, track, path, stem, item_values, take_values, reverse)
  local item = reaper.AddMediaItemToTrack(track)
  local take = reaper.AddTakeToMediaItem(item)
  reaper.SetMediaItemTake_Source(take, reaper.PCM_Source_CreateFromFile(path))
  reaper.GetSetMediaItemTakeInfo_String(take, 'P_NAME', stem, true)
  for key, value in pairs(item_values) do reaper.SetMediaItemInfo_Value(item, key, value) end
  for key, value in pairs(take_values) do reaper.SetMediaItemTakeInfo_Value(take, key, value) end
  if reverse then place.reverse(reaper, proj, item) end
  return item
end

-- One stem as a new take of the original item (the item keeps its active take). The take runs
-- on the item's own timeline, so where the stem window starts later than the item (a time
-- selection) its offset reaches back before the stem's start: silence there, as in the original.
function place.stem_take(reaper, item, path, stem, item_values, take_values)
  local take = reaper.AddTakeToMediaItem(item)
  reaper.SetMediaItemTake_Source(take, reaper.PCM_Source_CreateFromFile(path))
  reaper.GetSetMediaItemTakeInfo_String(take, 'P_NAME', stem, true)
  local lead = item_values.D_POSITION - reaper.GetMediaItemInfo_Value(item, 'D_POSITION')
  for key, value in pairs(take_values) do reaper.SetMediaItemTakeInfo_Value(take, key, value) end
  reaper.SetMediaItemTakeInfo_Value(take, 'D_STARTOFFS', take_values.D_STARTOFFS - lead * take_values.D_PLAYRATE)
  return take
end

-- Generated audio (it has no source item): a new track per file at the end of the project, named
-- `name` (and the file's stem name when there are several), its item at `position`.
function place.generated(reaper, proj, name, position, stems)
  for _, stem in ipairs(stems) do
    local index = reaper.CountTracks(proj)
    reaper.InsertTrackInProject(proj, index, 0)
    local track = reaper.GetTrack(proj, index)
    reaper.GetSetMediaTrackInfo_String(track, 'P_NAME', #stems > 1 and (name .. plan.DASH .. stem.name) or name, true)
    place.stem_item(reaper, proj, track, stem.path, stem.name, plan.generated_item(position, stem), {}, false)
  end
end

-- Run an action that works on the selected items on just `items`, then give the user's
-- selection back.
function place.on_items(reaper, proj, items, command)
  local selected = {}
  for i = 0, reaper.CountSelectedMediaItems(proj) - 1 do selected[#selected + 1] = reaper.GetSelectedMediaItem(proj, i) end
  reaper.SelectAllMediaItems(proj, false)
  for _, item in ipairs(items) do reaper.SetMediaItemSelected(item, true) end
  reaper.Main_OnCommandEx(command, 0, proj)
  reaper.SelectAllMediaItems(proj, false)
  for _, other in ipairs(selected) do reaper.SetMediaItemSelected(other, true) end
end

-- REAPER reverses a take only through its action.
function place.reverse(reaper, proj, item)
  place.on_items(reaper, proj, { item }, TAKE_REVERSE)
end

return place
