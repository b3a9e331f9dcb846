-- @description Cancel all separation jobs (MVSEP Bridge)
-- @version 0.3.0
-- @author mvsep-bridge
-- @about
--   Asks the daemon to cancel every separation job of the open projects that is not finished.
-- @provides
--   [main] .
-- @changelog
--   Takes with FX or stretch markers separated as heard (rendered first), the credit estimate before
--   generating, text to speech with its choices, undo points that name the job.
local dir = debug.getinfo(1, 'S').source:match('^@?(.*)[/\\]')  -- this file's folder, however it is run
package.path = dir .. '/lib/?.lua;' .. package.path
require('actions').cancel_all(reaper, dir)
