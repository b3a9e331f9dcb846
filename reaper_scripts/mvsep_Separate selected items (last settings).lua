-- @description Separate selected items (last settings) (MVSEP Bridge)
-- @version 0.2.0
-- @author mvsep-bridge
-- @about
--   Separates the selected audio items with the algorithm, options and format chosen last time
--   (asks once when there is no last choice).
-- @provides
--   [main] .
-- @changelog
--   MIDI results as MIDI items, transcripts as regions, and audio generated at the edit cursor.
local dir = debug.getinfo(1, 'S').source:match('^@?(.*)[/\\]')  -- this file's folder, however it is run
package.path = dir .. '/lib/?.lua;' .. package.path
require('actions').separate(reaper, gfx, dir, 'last')
