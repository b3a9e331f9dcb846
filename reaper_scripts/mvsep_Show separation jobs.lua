-- @description Show separation jobs (MVSEP Bridge)
-- @version 0.3.0
-- @author mvsep-bridge
-- @about
--   A small window with every separation job of the open projects: queue place, progress, chunks.
--   Click a job to cancel it.
-- @provides
--   [main] .
-- @changelog
--   Takes with FX or stretch markers separated as heard (rendered first), the credit estimate before
--   generating, text to speech with its choices, undo points that name the job.
local dir = debug.getinfo(1, 'S').source:match('^@?(.*)[/\\]')  -- this file's folder, however it is run
package.path = dir .. '/lib/?.lua;' .. package.path
require('actions').show_jobs(reaper, gfx, dir)
