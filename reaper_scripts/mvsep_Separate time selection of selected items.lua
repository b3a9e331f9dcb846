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
local dir = ({ reaper.get_action_context() })[2]:match('^(.*)[/\\]')
package.path = dir .. '/lib/?.lua;' .. package.path
require('actions').separate(reaper, gfx, dir, 'time')
