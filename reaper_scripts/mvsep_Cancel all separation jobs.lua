-- @description Cancel all separation jobs (MVSEP Bridge)
-- @version 0.2.0
-- @author mvsep-bridge
-- @about
--   Asks the daemon to cancel every separation job of the open projects that is not finished.
-- @provides
--   [main] .
-- @changelog
--   MIDI results as MIDI items, transcripts as regions, and audio generated at the edit cursor.
local dir = debug.getinfo(1, 'S').source:match('^@?(.*)[/\\]')  -- this file's folder, however it is run
package.path = dir .. '/lib/?.lua;' .. package.path
require('actions').cancel_all(reaper, dir)
