-- @description Separate selected items… (MVSEP Bridge)
-- @version 0.3.0
-- @author mvsep-bridge
-- @about
--   Separates the selected audio items with MVSEP through the mvsep-bridge daemon. Pick the algorithm
--   (grouped as MVSEP groups them), its options and the output format; the credit estimate is shown
--   before anything is sent. The stems arrive on tracks "<track> – <stem>" under each source track,
--   each stem item exactly where its original sits, in one undo block. REAPER is never blocked.
-- @provides
--   [main] .
--   [main] mvsep_Separate selected items (last settings).lua
--   [main] mvsep_Separate time selection of selected items.lua
--   [main] mvsep_Show separation jobs.lua
--   [main] mvsep_Cancel all separation jobs.lua
--   [main] mvsep_Settings.lua
--   [main] mvsep_Follow separation jobs (background).lua
--   [main] mvsep_Start daemon.lua
--   [main] mvsep_Generate audio at edit cursor.lua
--   [nomain] lib/*.lua
-- @changelog
--   Takes with FX or stretch markers separated as heard (rendered first), the credit estimate before
--   generating, text to speech with its choices, undo points that name the job.
local dir = debug.getinfo(1, 'S').source:match('^@?(.*)[/\\]')  -- this file's folder, however it is run
package.path = dir .. '/lib/?.lua;' .. package.path
require('actions').separate(reaper, gfx, dir, 'menu')
