-- @description Generate audio at edit cursor… (MVSEP Bridge)
-- @version 0.3.0
-- @author mvsep-bridge
-- @about
--   Makes audio from text with MVSEP (Stable Audio Open, text to speech) through the mvsep-bridge
--   daemon: pick an algorithm that needs no upload, type the prompt and the length. The audio
--   arrives on a new track at the edit cursor, in one undo block. REAPER is never blocked.
-- @provides
--   [main] .
-- @changelog
--   Takes with FX or stretch markers separated as heard (rendered first), the credit estimate before
--   generating, text to speech with its choices, undo points that name the job.
local dir = debug.getinfo(1, 'S').source:match('^@?(.*)[/\\]')  -- this file's folder, however it is run
package.path = dir .. '/lib/?.lua;' .. package.path
require('actions').generate(reaper, gfx, dir)
