-- @description Separate time selection of selected items (MVSEP Bridge)
-- @version 0.3.0
-- @author mvsep-bridge
-- @about
--   Separates the part of each selected item inside the time selection (last settings); the stem
--   items cover just that part.
-- @provides
--   [main] .
-- @changelog
--   Takes with FX or stretch markers separated as heard (rendered first), the credit estimate before
--   generating, text to speech with its choices, undo points that name the job.
local dir = debug.getinfo(1, 'S').source:match('^@?(.*)[/\\]')  -- this file's folder, however it is run
package.path = dir .. '/lib/?.lua;' .. package.path
require('actions').separate(reaper, gfx, dir, 'time')
