-- @noindex
-- Takes with FX or stretch markers sent as heard: REAPER renders them ("Item: Render items to
-- new take", what a user would run by hand), the rendered file is what gets separated, and the
-- render is undone at once, so the user's items, takes and undo history stay as they were. The
-- rendered file stays on disk (REAPER keeps files on undo) for the daemon to read.

local plan = require('plan')
local place = require('place')

local heard = {}

heard.RENDER = 40601  -- "Item: Render items to new take": take FX, stretch markers, playrate; no track FX
heard.UNDO = 'MVSEP: render takes as heard (undone at once)'

-- Fill in the window and stem values of every entry whose window waits for a render
-- ({item, label, window = {render = ...}}). Returns the entries ready to send and, for those
-- REAPER did not render, a message naming them.
function heard.render(reaper, proj, entries, range)
  local waiting, items, before = {}, {}, {}
  for _, e in ipairs(entries) do
    if e.window.render then
      waiting[#waiting + 1] = e
      items[#items + 1] = e.item
      before[#waiting] = reaper.GetActiveTake(e.item)
    end
  end
  if #waiting == 0 then return entries end
  local problems = {}
  reaper.PreventUIRefresh(1)
  reaper.Undo_BeginBlock2(proj)
  place.on_items(reaper, proj, items, heard.RENDER)
  for n, e in ipairs(waiting) do
    local take = reaper.GetActiveTake(e.item)
    local window, problem
    if take == before[n] then
      problem = e.label .. ': REAPER did not render the take'
    else  -- the rendered take plays its whole file from the item's start at rate 1, nothing on it
      window, problem = plan.window(reaper, e.item, range, { processed = 'raw' })
    end
    if window then
      e.window = window
      e.item_values, e.take_values = plan.stem_item(reaper, e.item, window)
    else
      problems[#problems + 1] = problem
    end
  end
  reaper.Undo_EndBlock2(proj, heard.UNDO, -1)
  if reaper.Undo_CanUndo2(proj) == heard.UNDO then reaper.Undo_DoUndo2(proj) end
  reaper.PreventUIRefresh(-1)
  local ready = {}
  for _, e in ipairs(entries) do
    if not e.window.render then ready[#ready + 1] = e end
  end
  return ready, #problems > 0 and ('Not separated (rendering failed):\n' .. table.concat(problems, '\n')) or nil
end

return heard
