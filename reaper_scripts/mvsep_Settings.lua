-- @description Settings (MVSEP Bridge)
-- @version 0.3.0
-- @author mvsep-bridge
-- @about
--   Where stems go: a folder under the source track, muting the originals, stems as takes of the
--   original items, and how takes with FX or stretch markers are sent: as heard (rendered first), as
--   their raw source, or not at all.
-- @provides
--   [main] .
-- @changelog
--   Takes with FX or stretch markers separated as heard (rendered first), the credit estimate before
--   generating, text to speech with its choices, undo points that name the job.
local dir = debug.getinfo(1, 'S').source:match('^@?(.*)[/\\]')  -- this file's folder, however it is run
package.path = dir .. '/lib/?.lua;' .. package.path
require('actions').settings(reaper)
