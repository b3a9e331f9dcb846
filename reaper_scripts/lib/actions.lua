-- @noindex
-- What the action scripts do; each action file is three lines that call one of these.

local json = require('json')
local plan = require('plan')
local jobs = require('jobs')
local spool = require('spool')
local heard = require('heard')

local actions = {}

local TITLE = 'MVSEP Bridge'
local OK_CANCEL, OK = 1, 1
local FORMATS = { { 0, 'mp3 (320 kbps)' }, { 1, 'wav (16 bit)' }, { 2, 'flac (16 bit)' },
                  { 3, 'm4a (lossy)' }, { 4, 'wav (32 bit float, premium)' }, { 5, 'flac (24 bit, premium)' } }

local function message(reaper, text)
  reaper.ShowMessageBox(text, TITLE, 0)
end

local function last_settings(reaper)
  return json.decode(reaper.GetExtState(jobs.EXT, 'last'))
end

-- The selected items' windows, or nil after telling the user what is wrong.
local function selected_windows(reaper, proj, range, options)
  local entries, refused = {}, {}
  for i = 0, reaper.CountSelectedMediaItems(proj) - 1 do
    local item = reaper.GetSelectedMediaItem(proj, i)
    local window, problem = plan.window(reaper, item, range, options)
    if window then
      local entry = { item = item, window = window, label = plan.describe_item(reaper, item) }
      if not window.render then entry.item_values, entry.take_values = plan.stem_item(reaper, item, window) end
      entries[#entries + 1] = entry
    else
      refused[#refused + 1] = problem
    end
  end
  if #refused > 0 then
    message(reaper, 'Not separated:\n' .. table.concat(refused, '\n')
            .. (#entries > 0 and '\n\nThe other selected items are separated.' or ''))
  elseif #entries == 0 then
    message(reaper, 'Select the audio items to separate first.')
  end
  return #entries > 0 and entries or nil
end

local function clean(label)
  return (label:gsub('[|<>!#]', ' '))
end

-- A gfx menu of `entries` ({label, checked} or {label, children = {...}} for a submenu); returns
-- the entry chosen. gfx.showmenu numbers the choosable entries from 1, submenu titles excluded.
local function menu(gfx, entries)
  local parts, leaves = {}, {}
  for _, e in ipairs(entries) do
    if e.children then
      parts[#parts + 1] = '>' .. clean(e.label)
      for n, child in ipairs(e.children) do
        parts[#parts + 1] = (n == #e.children and '<' or '') .. (child.checked and '!' or '') .. clean(child.label)
        leaves[#leaves + 1] = child
      end
    else
      parts[#parts + 1] = (e.checked and '!' or '') .. clean(e.label)
      leaves[#leaves + 1] = e
    end
  end
  return leaves[gfx.showmenu(table.concat(parts, '|'))]
end

local function coefficient(algorithm, options)
  local value = algorithm.price_coefficient or 1
  for _, field in ipairs(algorithm.fields or {}) do
    local multiplier = field.price and field.price[options[field.name] or field.default or '']
    if multiplier then value = value * multiplier end
  end
  return value
end

-- Pick the algorithm (grouped as MVSEP groups them), its options and the format.
local function choose(reaper, gfx, catalog, last)
  local groups, by_name = {}, {}
  for _, algorithm in ipairs(catalog) do
    local group = by_name[algorithm.group]
    if not group then
      group = { label = algorithm.group, children = {} }
      by_name[algorithm.group] = group
      groups[#groups + 1] = group
    end
    group.children[#group.children + 1] = { label = algorithm.name, algorithm = algorithm,
                                            checked = last and last.sep_type == algorithm.sep_type, order = algorithm.order }
  end
  table.sort(groups, function(a, b) return a.label < b.label end)
  for _, group in ipairs(groups) do
    table.sort(group.children, function(a, b) return (a.order or 0) < (b.order or 0) end)
  end
  gfx.init('', 0, 0)
  local picked = menu(gfx, groups)
  if not picked then gfx.quit() return nil end
  local algorithm = picked.algorithm
  local options = {}
  for _, field in ipairs(algorithm.fields or {}) do
    local remembered = last and last.sep_type == algorithm.sep_type and last.options and last.options[field.name]
    local current = remembered or field.default
    local entries = {}
    for _, choice in ipairs(field.choices) do
      entries[#entries + 1] = { label = field.text .. ': ' .. choice.label, key = choice.key, checked = choice.key == current }
    end
    local chosen = menu(gfx, entries)
    if not chosen then gfx.quit() return nil end
    options[field.name] = chosen.key
  end
  local format_entries = {}
  local last_format = last and last.output_format or 2
  for _, f in ipairs(FORMATS) do
    format_entries[#format_entries + 1] = { label = 'Output: ' .. f[2], format = f[1], checked = f[1] == last_format }
  end
  local format = menu(gfx, format_entries)
  gfx.quit()
  if not format then return nil end
  return { sep_type = algorithm.sep_type, name = algorithm.name, options = options,
           output_format = format.format, coefficient = coefficient(algorithm, options) }
end

local NO_CATALOG = 'The list of algorithms is not there yet: the mvsep-bridge daemon writes it when it runs. '
                   .. 'Start it with `mvsep-bridge daemon`, then try again.'

-- Ask before sending: `question` and MVSEP's price for `windows` (what is uploaded: {length}
-- in seconds each); true when the user says OK.
local function confirmed(reaper, question, windows, coefficient)
  local credits = plan.credits(windows, coefficient)
  local text = string.format('%s\n\nEstimated cost: about %d credit%s.', question, credits, credits == 1 and '' or 's')
  return reaper.ShowMessageBox(text, TITLE, OK_CANCEL) == OK
end

-- After sending: say so if the daemon is not running, and follow the jobs (one follower per REAPER).
local function follow_sent(reaper, sp)
  if not sp:daemon_running() then
    message(reaper, 'The mvsep-bridge daemon is not running, so nothing happens yet. Start it with the '
            .. 'action "Start daemon (MVSEP Bridge)", or `mvsep-bridge daemon` (`mvsep-bridge service install` '
            .. 'starts it at login): it takes the waiting requests then, and the results arrive in this project.')
  end
  if not jobs.follower_running(reaper) then jobs.follow(reaper, sp) end
end

-- "Separate selected items…" (how = 'menu'), "(last settings)" ('last'), "time selection" ('time')
function actions.separate(reaper, gfx, scripts_dir, how)
  local sp, problem = spool.locate(reaper, scripts_dir)
  if not sp then return message(reaper, problem) end
  local proj = reaper.EnumProjects(-1)
  local range
  if how == 'time' then
    local start, stop = reaper.GetSet_LoopTimeRange2(proj, false, false, 0, 0, false)
    if stop <= start then return message(reaper, 'Make a time selection first.') end
    range = { start, stop }
  end
  local options = actions.options(reaper)
  local entries = selected_windows(reaper, proj, range, options)
  if not entries then return end
  local last = last_settings(reaper)
  local settings = last
  if how == 'menu' or not last then
    local catalog = sp:catalog()
    if not catalog then return message(reaper, NO_CATALOG) end
    settings = choose(reaper, gfx, plan.taking(catalog, 'audio'), last)
    if not settings then return end
    local windows = {}
    for n, e in ipairs(entries) do windows[n] = e.window end
    local seconds = 0
    for _, w in ipairs(windows) do seconds = seconds + w.length end
    local question = string.format('Separate %d item%s (%.1f s of audio) with %s?', #entries,
                                   #entries == 1 and '' or 's', seconds, settings.name)
    if not confirmed(reaper, question, windows, settings.coefficient) then return end
    reaper.SetExtState(jobs.EXT, 'last', json.encode(settings), true)
  end
  local rendered, not_rendered = heard.render(reaper, proj, entries, range)
  if not_rendered then message(reaper, not_rendered) end
  if #rendered == 0 then return end
  local batch, failure = jobs.start(reaper, sp, proj, rendered, settings, options)
  if not batch then return message(reaper, failure) end
  follow_sent(reaper, sp)
end

-- The free-text fields of `algorithm` (a prompt, a length, ...) in one dialog; name -> text
-- (empty ones left out: the server's default), or nil when cancelled. The answer comes back
-- joined by newlines, which a one-line field cannot hold, so a prompt may have commas.
local function ask_texts(reaper, algorithm, remembered)
  local fields = algorithm.text_fields or {}
  if #fields == 0 then return {} end
  local captions, values = {}, {}
  for n, field in ipairs(fields) do
    captions[n] = (field.text:gsub('[,\n]', ' '))
    values[n] = (remembered and remembered[field.name]) or field.default or ''
  end
  local ok, answer = reaper.GetUserInputs(TITLE .. ': ' .. clean(algorithm.name), #fields,
                                          table.concat(captions, ',') .. ',separator=\n,extrawidth=300',
                                          table.concat(values, '\n'))
  if not ok then return nil end
  local texts, n = {}, 0
  for value in (answer .. '\n'):gmatch('([^\n]*)\n') do
    n = n + 1
    if fields[n] and value:match('%S') then texts[fields[n].name] = value end
  end
  return texts
end

-- "Generate audio at edit cursor…": an algorithm that takes no audio (generation, speech), its
-- choices and text fields, then a request without a source; the audio lands at the edit cursor.
function actions.generate(reaper, gfx, scripts_dir)
  local sp, problem = spool.locate(reaper, scripts_dir)
  if not sp then return message(reaper, problem) end
  local proj = reaper.EnumProjects(-1)
  local position = reaper.GetCursorPositionEx(proj)
  local catalog = sp:catalog()
  if not catalog then return message(reaper, NO_CATALOG) end
  local makers = plan.taking(catalog, 'none')
  if #makers == 0 then
    return message(reaper, 'No algorithm in the catalog makes audio from text (generation, speech).')
  end
  local last = json.decode(reaper.GetExtState(jobs.EXT, 'last_generate'))
  local settings = choose(reaper, gfx, makers, last)
  if not settings then return end
  local algorithm
  for _, a in ipairs(makers) do if a.sep_type == settings.sep_type then algorithm = a end end
  local texts = ask_texts(reaper, algorithm, last and last.sep_type == settings.sep_type and last.options)
  if not texts then return end
  -- what names the result: the text prompt (VibeVoice asks for its model type first), else the first text
  local named = (algorithm.text_fields or {})[1]
  for _, field in ipairs(algorithm.text_fields or {}) do
    if field.text:lower() == 'text prompt' then named = field break end
  end
  for name, text in pairs(texts) do settings.options[name] = text end
  -- nothing is uploaded: MVSEP charges for no seconds of audio, its minimum
  local question = string.format('Generate audio with %s at %.3f s?', settings.name, position)
  if not confirmed(reaper, question, { { length = 0 } }, settings.coefficient) then return end
  reaper.SetExtState(jobs.EXT, 'last_generate', json.encode(settings), true)
  local prompt = named and texts[named.name]
  local cut = prompt and utf8.offset(prompt, 41)  -- 40 characters, not bytes: never half a letter
  if cut then prompt = prompt:sub(1, cut - 1) end
  local label = settings.name .. (prompt and (': ' .. prompt) or '')
  local batch, failure = jobs.generate(reaper, sp, proj, position, settings, label)
  if not batch then return message(reaper, failure) end
  follow_sent(reaper, sp)
end

-- The user's choices (ExtState, kept across sessions): name, question, the answers (the first
-- is the default; a yes/no question has none)
actions.OPTIONS = {
  { 'folder', 'Stem tracks in a folder under the source track' },
  { 'mute_original', 'Mute the original items' },
  { 'as_takes', 'Stems as takes of the original items' },
  { 'processed', 'Takes with FX/stretch markers: send as heard (rendered) or raw or refuse', plan.PROCESSED },
}

function actions.options(reaper)
  local options = {}
  for _, option in ipairs(actions.OPTIONS) do
    local value = reaper.GetExtState(jobs.EXT, option[1])
    if option[3] then
      if value == '' and reaper.GetExtState(jobs.EXT, 'raw_source') == 'y' then value = 'raw' end  -- 0.2.0's yes/no
      options[option[1]] = value ~= '' and value or option[3][1]
    else
      options[option[1]] = value == 'y'
    end
  end
  return options
end

-- The answer of `option` the user typed (a yes/no, or a word of option[3] or its start), or nil.
local function answer_of(option, typed)
  typed = typed:lower():match('^%s*(.-)%s*$')
  if not option[3] then
    if typed:sub(1, 1) == 'y' then return 'y' elseif typed:sub(1, 1) == 'n' then return 'n' end
    return nil
  end
  local found
  for _, choice in ipairs(option[3]) do
    if typed ~= '' and choice:sub(1, #typed) == typed then
      if found then return nil end  -- 'r': raw or refuse?
      found = choice
    end
  end
  return found
end

function actions.settings(reaper)
  local captions, values = {}, {}
  local current = actions.options(reaper)
  for n, option in ipairs(actions.OPTIONS) do
    local value = current[option[1]]
    captions[n] = option[2] .. (option[3] and '' or ' (y/n)')
    values[n] = option[3] and value or (value and 'y' or 'n')
  end
  local ok, answer = reaper.GetUserInputs(TITLE .. ': settings', #captions,
                                          table.concat(captions, ',') .. ',extrawidth=120', table.concat(values, ','))
  if not ok then return end
  local n, wrong = 0, {}
  for typed in (answer .. ','):gmatch('([^,]*),') do
    n = n + 1
    local option = actions.OPTIONS[n]
    if option then
      local value = answer_of(option, typed)
      if value then
        reaper.SetExtState(jobs.EXT, option[1], value, true)
      else
        wrong[#wrong + 1] = string.format('"%s" for "%s": answer %s', typed, option[2],
                                          option[3] and table.concat(option[3], ', ') or 'y or n')
      end
    end
  end
  if #wrong > 0 then message(reaper, 'Not changed:\n' .. table.concat(wrong, '\n')) end
end

-- The background follower (from __startup.lua): silent when not set up, one per REAPER.
function actions.follow(reaper, scripts_dir)
  local sp = spool.locate(reaper, scripts_dir)
  if sp and not jobs.follower_running(reaper) then
    jobs.follow(reaper, sp, function() return true end)
  end
end

function actions.start_daemon(reaper, scripts_dir)
  local sp, problem = spool.locate(reaper, scripts_dir)
  if not sp then return message(reaper, problem) end
  if sp:daemon_running() then return message(reaper, 'The mvsep-bridge daemon is running.') end
  local ok, failure = sp:start_daemon()
  if not ok then return message(reaper, failure) end
  reaper.ShowConsoleMsg('MVSEP Bridge: starting the mvsep-bridge daemon; waiting requests go out once it runs.\n')
end

function actions.cancel_all(reaper, scripts_dir)
  local sp, problem = spool.locate(reaper, scripts_dir)
  if not sp then return message(reaper, problem) end
  local count = jobs.cancel_all(reaper, sp)
  message(reaper, count == 0 and 'No separation job is running.' or
          string.format('Cancelling %d request%s.', count, count == 1 and '' or 's'))
end

-- The jobs window: one line per request with its progress; click a line to cancel it.
local ROW = 20

local function describe(row)
  local text = row.label .. ' - ' .. row.state
  if row.queue_position then text = text .. string.format(' (queue %d/%d)', row.queue_position, row.queue_count or 0) end
  if row.progress then text = text .. string.format(' %d%%', math.floor(row.progress * 100 + 0.5)) end
  if row.chunks_total then text = text .. string.format(' chunk %d/%d', row.chunks_done or 0, row.chunks_total) end
  if row.error then text = text .. ': ' .. row.error end
  return text
end

function actions.show_jobs(reaper, gfx, scripts_dir)
  local sp, problem = spool.locate(reaper, scripts_dir)
  if not sp then return message(reaper, problem) end
  gfx.init('MVSEP jobs', 640, 240)
  local open = true
  local was_down = false
  local running, next_check = false, 0  -- the heartbeat file is read every 2 s, not every frame
  local function keep() return open end
  local function draw()
    local char = gfx.getchar()
    if char < 0 or char == 27 then
      open = false
      gfx.quit()
      return
    end
    local rows = json.decode(reaper.GetExtState(jobs.EXT, 'jobs')) or {}
    gfx.x, gfx.y = 10, 10
    if reaper.time_precise() >= next_check then
      running, next_check = sp:daemon_running(), reaper.time_precise() + 2
    end
    gfx.drawstr(running and 'MVSEP Bridge - click a job to cancel it'
                or 'The mvsep-bridge daemon is not running: start it with `mvsep-bridge daemon`')
    for n, row in ipairs(rows) do
      gfx.x, gfx.y = 10, 10 + n * ROW
      gfx.drawstr(describe(row))
    end
    if #rows == 0 then
      gfx.x, gfx.y = 10, 10 + ROW
      gfx.drawstr('No separation job is running.')
    end
    local down = gfx.mouse_cap & 1 == 1
    if down and not was_down then
      local row = rows[math.floor((gfx.mouse_y - 10) / ROW)]
      if row and not spool.FINAL[row.state] then
        local choice = gfx.showmenu('Cancel ' .. clean(row.label) .. '|Cancel all jobs')
        if choice == 1 then jobs.cancel(reaper, sp, row.request) end
        if choice == 2 then jobs.cancel_all(reaper, sp) end
      end
    end
    was_down = down
    gfx.update()
  end
  local function loop()
    draw()
    if open then reaper.defer(loop) end
  end
  if not jobs.follower_running(reaper) then jobs.follow(reaper, sp, keep) end
  loop()
end

return actions
