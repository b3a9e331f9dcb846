-- @description Separate time selection of selected items (MVSEP Bridge)
-- @version 0.2.0
-- @author mvsep-bridge
-- @about
--   Separates the part of each selected item inside the time selection (last settings); the stem
--   items cover just that part.
-- @provides
--   [main] .
-- @changelog
--   MIDI results as MIDI items, transcripts as regions, and audio generated at the edit cursor.
local dir = debug.getinfo(1, 'S').source:match('^@?(.*)[/\\]')  -- this file's folder, however it is run
package.path = dir .. '/lib/?.lua;' .. package.path
require('actions').separate(reaper, gfx, dir, 'time')
