-- @description Separate time selection of selected items (MVSEP Bridge)
-- @version 0.1.0
-- @author mvsep-bridge
-- @about
--   Separates the part of each selected item inside the time selection (last settings); the stem
--   items cover just that part.
-- @provides
--   [main] .
-- @changelog
--   First release: separation through the mvsep-bridge spool, aligned stem tracks, jobs window.
local dir = debug.getinfo(1, 'S').source:match('^@?(.*)[/\\]')  -- this file's folder, however it is run
package.path = dir .. '/lib/?.lua;' .. package.path
require('actions').separate(reaper, gfx, dir, 'time')
