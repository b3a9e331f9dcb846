-- @description Separate selected items (last settings) (MVSEP Bridge)
-- @version 0.3.0
-- @author mvsep-bridge
-- @about
--   Separates the selected audio items with the algorithm, options and format chosen last time
--   (asks once when there is no last choice).
-- @provides
--   [main] .
-- @changelog
--   Takes with FX or stretch markers separated as heard (rendered first), the credit estimate before
--   generating, text to speech with its choices, undo points that name the job.
local dir = debug.getinfo(1, 'S').source:match('^@?(.*)[/\\]')  -- this file's folder, however it is run
package.path = dir .. '/lib/?.lua;' .. package.path
require('actions').separate(reaper, gfx, dir, 'last')
