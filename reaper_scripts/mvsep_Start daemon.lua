-- @description Start daemon (MVSEP Bridge)
-- @version 0.3.0
-- @author mvsep-bridge
-- @about
--   Starts `mvsep-bridge daemon` in the background when it is not running (the installed console
--   script, no other command line). `mvsep-bridge service install` starts it at login instead.
-- @provides
--   [main] .
-- @changelog
--   Takes with FX or stretch markers separated as heard (rendered first), the credit estimate before
--   generating, text to speech with its choices, undo points that name the job.
local dir = debug.getinfo(1, 'S').source:match('^@?(.*)[/\\]')  -- this file's folder, however it is run
package.path = dir .. '/lib/?.lua;' .. package.path
require('actions').start_daemon(reaper, dir)
