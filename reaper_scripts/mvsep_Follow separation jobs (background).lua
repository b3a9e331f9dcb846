-- @description Follow separation jobs in the background (MVSEP Bridge)
-- @version 0.3.0
-- @author mvsep-bridge
-- @about
--   Keeps following the separation jobs of every open project, so stems arrive even in a project
--   opened again after REAPER was closed. `mvsep-bridge install-reaper` runs it from
--   Scripts/__startup.lua; running it by hand is harmless (one follower per REAPER).
-- @provides
--   [main] .
-- @changelog
--   Takes with FX or stretch markers separated as heard (rendered first), the credit estimate before
--   generating, text to speech with its choices, undo points that name the job.
local dir = debug.getinfo(1, 'S').source:match('^@?(.*)[/\\]')  -- this file's folder, however it is run
package.path = dir .. '/lib/?.lua;' .. package.path
require('actions').follow(reaper, dir)
