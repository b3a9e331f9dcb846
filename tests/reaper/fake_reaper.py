"""A fake REAPER for the real ReaScripts, run in Lua 5.4 (lupa, the Lua REAPER embeds).

Every `reaper.*` / `gfx.*` call goes through one gate that checks it against
/work/shared/reaper/api_signatures.json: the name must exist there, the argument count must fit
the signature, each argument must have the declared type, and the parameter names of the
Get/Set*Info_Value and GetSet*_String calls must be documented keys. A name that REAPER has but
this fake does not implement fails too ("not faked"), so a script can never silently get nil.

The world is model.py's projects; here are ExtState, ProjExtState, undo blocks (and Ctrl+Z),
PreventUIRefresh, gfx, and a defer loop the test drives with `tick()` on a fake clock.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path
from typing import Any, Callable

import numpy as np
import soundfile as sf
from lupa.lua54 import LuaRuntime

from .model import Item, Marker, Project, Source, Take, Track, new_guid
from .signatures import ApiMisuse, Signatures

TICK = 1 / 30  # REAPER runs deferred functions about 30 times a second
TAKE_REVERSE = 41051  # "Item properties: Toggle take reverse"
RENDER_TAKE = 40601  # "Item: Render items to new take"

# gfx variables a script may read or assign (REAPER's gfx.* state; not functions, so not in the
# signature file)
GFX_VARIABLES = {
    "r": 1.0, "g": 1.0, "b": 1.0, "a": 1.0, "a2": 1.0, "mode": 0, "w": 0, "h": 0, "x": 0, "y": 0,
    "clear": 0, "dest": -1, "texth": 14, "ext_retina": 0, "mouse_x": 0, "mouse_y": 0,
    "mouse_cap": 0, "mouse_wheel": 0, "mouse_hwheel": 0,
}


class FakeReaper:
    def __init__(self, resource_path: Path, signatures: Signatures | None = None):
        self.signatures = signatures or Signatures()
        self.resource_path = Path(resource_path)
        self.lua = LuaRuntime(unpack_returned_tuples=True)
        self.projects: list[Project] = []
        self.current: Project | None = None
        self.ext_state: dict[tuple[str, str], str] = {}
        self.deferred: list[Any] = []
        self.clock = 1000.0
        self.prevent_refresh = 0
        self.console: list[str] = []
        self.messages: list[tuple[str, str]] = []  # ShowMessageBox (msg, title)
        self.answers: list[int] = []  # what the user clicks in the next message boxes (default OK=1)
        self.menu_choices: list[int] = []  # what the user picks in the next gfx.showmenu calls
        self.menus: list[str] = []
        self.inputs: list[str | list[str] | None] = []  # GetUserInputs answers (None = cancel)
        self.dialogs: list[tuple[str, str, str]] = []  # GetUserInputs (title, captions, defaults)
        self.drawn: list[str] = []  # gfx.drawstr since the last tick
        self.gfx_char = 0  # what gfx.getchar returns (-1: window closed)
        self.calls: list[str] = []
        self.misuse: list[str] = []
        self.exec_env: dict[str, str] | None = None  # the user's environment REAPER runs commands in
        self.processes: list[subprocess.Popen] = []  # what ExecProcess started
        self.script_path = ""
        self._implement()

    # -- test-side helpers ------------------------------------------------------------------

    def add_project(self, path: str | Path, media_dir: str | Path, *, activate: bool = True) -> Project:
        project = Project(str(path), str(media_dir))
        self.projects.append(project)
        if activate or self.current is None:
            self.current = project
        return project

    def add_track(self, project: Project, name: str, depth: int = 0) -> Track:
        track = Track(project, name)
        track.values["I_FOLDERDEPTH"] = float(depth)
        project.tracks.append(track)
        return track

    def add_item(self, track: Track, source: Source | None, *, position: float, length: float,
                 offset: float = 0.0, playrate: float = 1.0, selected: bool = True, **values: float) -> Item:
        item = Item(track)
        item.values.update(D_POSITION=position, D_LENGTH=length, B_UISEL=float(selected))
        take = Take(item, source, name=Path(source.filename).stem if source and source.filename else "")
        take.values.update(D_STARTOFFS=offset, D_PLAYRATE=playrate)
        for key, value in values.items():
            (take.values if key in take.values else item.values)[key] = value
        item.takes.append(take)
        track.items.append(item)
        return item

    def run(self, script: Path) -> None:
        """Run an action as REAPER does: its own Lua state, `get_action_context` naming its file.
        Returns when the script's main chunk returns (its deferred functions run on `tick`)."""
        self.script_path = str(script)
        self.lua = self._runtime()
        self.lua.execute(f"dofile({json.dumps(str(script))})")

    def tick(self, count: int = 1) -> None:
        """Run the deferred functions `count` times, advancing the clock one REAPER frame each."""
        for _ in range(count):
            self.clock += TICK
            self.drawn = []
            pending, self.deferred = self.deferred, []
            for function in pending:
                function()

    def advance(self, seconds: float) -> None:
        self.tick(max(1, round(seconds / TICK)))

    def undo(self, project: Project) -> str:
        """Ctrl+Z: back to the state before the last undo point; returns its description."""
        project.restore(project.undo_states.pop())
        return project.undo_points.pop()

    # -- the gate ---------------------------------------------------------------------------

    def _implement(self) -> None:
        self._impl = _Impl(self)
        self.lua = self._runtime()

    def _runtime(self) -> LuaRuntime:
        """A Lua state with `reaper` and `gfx` behind the gate (one per script run, as in REAPER)."""
        lua = LuaRuntime(unpack_returned_tuples=True)

        def gate(full: str, body: Callable) -> Callable:
            def call(*args):
                try:
                    self.signatures.check(full, args)
                except ApiMisuse as exc:
                    self.misuse.append(str(exc))  # seen even if a script's pcall swallows it
                    raise
                self.calls.append(full)
                return body(*args)
            return call

        reaper, gfx = lua.table(), lua.table()
        for full in self.signatures.functions:
            space, name = full.split(".", 1)
            body = getattr(self._impl, f"{space}_{name}", None) or _not_faked(full)
            (reaper if space == "reaper" else gfx)[name] = gate(full, body)
        for name, value in GFX_VARIABLES.items():
            gfx[name] = value
        strict = lua.eval("""
            function(t, label)
                return setmetatable(t, {__index = function(_, key)
                    error(label .. '.' .. tostring(key) .. ' is not part of the REAPER API', 2) end})
            end
        """)
        lua.globals().reaper = strict(reaper, "reaper")
        lua.globals().gfx = self.gfx = strict(gfx, "gfx")
        return lua


def _not_faked(full: str) -> Callable:
    def call(*args):
        raise ApiMisuse(f"{full} exists in REAPER but this fake does not implement it")
    return call


class _Impl:
    """The bodies, named <space>_<name>; arguments were checked by the gate already."""

    def __init__(self, fake: FakeReaper):
        self.f = fake

    def _project(self, proj) -> Project:
        project = self.f.current if proj in (None, 0) else proj
        if project is None or not project.open:
            raise ApiMisuse("a closed project was used")
        return project

    def _change(self, project: Project, what: str) -> None:
        project.changes.append((what, project.block_depth, self.f.prevent_refresh > 0))
        project.change_count += 1

    # projects and tabs
    def reaper_EnumProjects(self, idx):
        open_projects = [p for p in self.f.projects if p.open]
        if idx == -1:
            project = self.f.current
        else:
            project = open_projects[int(idx)] if 0 <= idx < len(open_projects) else None
        return (project, project.path) if project else (None, "")

    def reaper_GetProjectPathEx(self, proj):
        return self._project(proj).media_dir

    def reaper_GetProjectName(self, proj):
        return Path(self._project(proj).path).name

    def reaper_GetProjectStateChangeCount(self, proj):
        return self._project(proj).change_count

    def reaper_ValidatePtr2(self, proj, pointer, ctypename):
        project = self._project(proj) if proj not in (None, 0) else self.f.current
        if ctypename == "ReaProject*":
            return isinstance(pointer, Project) and pointer.open
        if ctypename == "MediaTrack*":
            return isinstance(pointer, Track) and pointer in project.tracks
        if ctypename == "MediaItem*":
            return isinstance(pointer, Item) and any(pointer in t.items for t in project.tracks)
        if ctypename == "MediaItem_Take*":
            return isinstance(pointer, Take) and any(pointer in i.takes for t in project.tracks for i in t.items)
        raise ApiMisuse(f"ValidatePtr2: unsupported type name {ctypename!r}")

    def reaper_GetSet_LoopTimeRange2(self, proj, isSet, isLoop, start, end, allowautoseek):
        project = self._project(proj)
        if isSet:
            project.time_selection = (start, end)
        return project.time_selection

    # ext state
    def reaper_GetExtState(self, section, key):
        return self.f.ext_state.get((section, key), "")

    def reaper_SetExtState(self, section, key, value, persist):
        self.f.ext_state[(section, key)] = value

    def reaper_DeleteExtState(self, section, key, persist):
        self.f.ext_state.pop((section, key), None)

    def reaper_GetProjExtState(self, proj, extname, key):
        value = self._project(proj).ext_state.get((extname, key))
        return (0, "") if value is None else (1, value)

    def reaper_SetProjExtState(self, proj, extname, key, value):
        project = self._project(proj)
        if key == "":
            for k in [k for k in project.ext_state if k[0] == extname]:
                del project.ext_state[k]
        elif value == "":
            project.ext_state.pop((extname, key), None)
        else:
            project.ext_state[(extname, key)] = value
        return 1

    def reaper_EnumProjExtState(self, proj, extname, idx):
        keys = sorted(k for k in self._project(proj).ext_state if k[0] == extname)
        if 0 <= idx < len(keys):
            return True, keys[int(idx)][1], self._project(proj).ext_state[keys[int(idx)]]
        return False, None, None

    def reaper_AddProjectMarker2(self, proj, isrgn, pos, rgnend, name, wantidx, color):
        """Adds a marker (or a region from pos to rgnend); wantidx -1: the next free number of its kind."""
        project = self._project(proj)
        if isrgn and rgnend < pos:
            raise ApiMisuse(f"AddProjectMarker2: a region ending ({rgnend}) before it starts ({pos})")
        taken = {m.number for m in project.markers if m.is_region == isrgn}
        number = int(wantidx) if wantidx >= 0 and wantidx not in taken else max(taken, default=0) + 1
        project.markers.append(Marker(number, isrgn, float(pos), float(rgnend) if isrgn else float(pos), name, int(color)))
        project.markers.sort(key=lambda m: m.position)
        self._change(project, "add region" if isrgn else "add marker")
        return number

    # undo and refresh
    def reaper_Undo_BeginBlock2(self, proj):
        project = self._project(proj)
        if project.block_depth == 0:
            project.undo_states.append(project.snapshot())
        project.block_depth += 1

    def reaper_Undo_EndBlock2(self, proj, descchange, extraflags):
        project = self._project(proj)
        if project.block_depth <= 0:
            raise ApiMisuse("Undo_EndBlock2 without Undo_BeginBlock2")
        project.block_depth -= 1
        if project.block_depth == 0:
            project.undo_points.append(descchange)
            project.redo_points.clear()

    def reaper_Undo_CanUndo2(self, proj):
        points = self._project(proj).undo_points
        return points[-1] if points else None

    def reaper_Undo_DoUndo2(self, proj):
        project = self._project(proj)
        if project.block_depth:
            raise ApiMisuse("Undo_DoUndo2 inside an undo block")
        if not project.undo_points:
            return 0
        project.redo_points.append(self.f.undo(project))
        return 1

    def reaper_PreventUIRefresh(self, prevent_count):
        self.f.prevent_refresh += int(prevent_count)
        if self.f.prevent_refresh < 0:
            raise ApiMisuse("PreventUIRefresh went below zero")

    def reaper_UpdateArrange(self):
        pass

    def reaper_MarkProjectDirty(self, proj):
        self._project(proj)

    # tracks
    def reaper_CountTracks(self, proj):
        return len(self._project(proj).tracks)

    def reaper_GetTrack(self, proj, trackidx):
        tracks = self._project(proj).tracks
        return tracks[int(trackidx)] if 0 <= trackidx < len(tracks) else None

    def reaper_InsertTrackInProject(self, proj, idx, flags):
        project = self._project(proj)
        index = min(max(int(idx), 0), len(project.tracks))
        project.tracks.insert(index, Track(project))
        self._change(project, "insert track")

    def reaper_GetMediaTrackInfo_Value(self, tr, parmname):
        if parmname == "IP_TRACKNUMBER":
            return float(tr.project.tracks.index(tr) + 1)
        return tr.values.get(parmname, 0.0)

    def reaper_SetMediaTrackInfo_Value(self, tr, parmname, newvalue):
        tr.values[parmname] = float(newvalue)
        self._change(tr.project, f"track {parmname}")
        return True

    def reaper_GetSetMediaTrackInfo_String(self, tr, parmname, stringNeedBig, setNewValue):
        if parmname == "P_NAME":
            if setNewValue:
                tr.name = stringNeedBig
                self._change(tr.project, "track name")
            return True, tr.name
        if parmname == "GUID":
            return True, tr.guid
        if parmname.startswith("P_EXT:"):
            if setNewValue:
                tr.ext[parmname] = stringNeedBig
                self._change(tr.project, "track ext")
            return parmname in tr.ext, tr.ext.get(parmname, "")
        raise ApiMisuse(f"GetSetMediaTrackInfo_String {parmname} not faked")

    def reaper_GetTrackGUID(self, tr):
        return tr.guid

    def reaper_GetTrackName(self, track):
        return True, track.name or f"Track {track.project.tracks.index(track) + 1}"

    def reaper_GetTrackDepth(self, track):
        depth = 0
        for other in track.project.tracks:
            if other is track:
                return depth
            depth += int(other.values["I_FOLDERDEPTH"])
        raise ApiMisuse("track not in its project")

    def reaper_GetParentTrack(self, track):
        tracks = track.project.tracks
        depth = self.reaper_GetTrackDepth(track)
        for other in reversed(tracks[: tracks.index(track)]):
            if self.reaper_GetTrackDepth(other) < depth:
                return other
        return None

    # items
    def reaper_CountSelectedMediaItems(self, proj):
        return len(self._selected(self._project(proj)))

    def reaper_GetSelectedMediaItem(self, proj, selitem):
        selected = self._selected(self._project(proj))
        return selected[int(selitem)] if 0 <= selitem < len(selected) else None

    @staticmethod
    def _selected(project: Project) -> list[Item]:
        return [i for t in project.tracks for i in t.items if i.values["B_UISEL"]]

    def reaper_SetMediaItemSelected(self, item, selected):
        item.values["B_UISEL"] = float(selected)

    def reaper_IsMediaItemSelected(self, item):
        return bool(item.values["B_UISEL"])

    def reaper_SelectAllMediaItems(self, proj, selected):
        for item in (i for t in self._project(proj).tracks for i in t.items):
            item.values["B_UISEL"] = float(selected)

    def reaper_Main_OnCommandEx(self, command, flag, proj):
        """Runs an action on the selected items; outside an undo block it is an undo point of its
        own, as every REAPER action is."""
        project = self._project(proj)
        actions = {TAKE_REVERSE: ("Toggle take reverse", self._reverse_take),
                   RENDER_TAKE: ("Render items to new take", self._render_take)}
        if command not in actions:
            raise ApiMisuse(f"Main_OnCommandEx: command {command} not faked")
        name, action = actions[command]
        before = project.snapshot() if project.block_depth == 0 else None
        for item in self._selected(project):
            action(project, item)
        if before is not None:
            project.undo_states.append(before)
            project.undo_points.append(name)
            project.redo_points.clear()

    def _reverse_take(self, project: Project, item: Item) -> None:
        """A reversed section of the source, or back."""
        take = item.active_take
        source = take.source
        if source.kind == "SECTION" and source.section_offset == 0 and source.section_length == source.parent.length:
            take.source = source.parent if source.reverse else Source.section(source.parent, 0, source.length, True)
        else:
            take.source = Source.section(source, 0, source.length, True)
        self._change(project, "reverse take")

    def _render_take(self, project: Project, item: Item) -> None:
        """What the active take plays over the item's length (source window, playrate as
        varispeed, stretch markers, take FX) written to a new file in the project's media folder,
        played by a new take that becomes the active one; the old take stays as it was. Take
        volume, pan and channel mode are not baked in: the new take keeps them. Pitch shifting
        (preserved pitch at another rate, a pitch offset) is beyond this fake: refused."""
        take = item.active_take
        values = take.values
        if values["D_PITCH"] or (values["B_PPITCH"] and values["D_PLAYRATE"] != 1):
            raise ApiMisuse("the fake renders no pitch shifting (B_PPITCH at another rate, D_PITCH)")
        if take.stretch_markers and values["D_PLAYRATE"] != 1:
            raise ApiMisuse("the fake renders stretch markers at playrate 1 only")
        file_source, a, b = take.source.file_map()
        samples, rate = sf.read(file_source.filename, always_2d=True)
        t = np.arange(int(round(item.values["D_LENGTH"] * rate))) / rate  # item time of each frame
        if take.stretch_markers:  # piecewise linear between markers, the take's rate outside them
            pos, src = (np.array(v) for v in zip(*sorted(take.stretch_markers)))
            s = np.interp(t, pos, src) + np.clip(t - pos[-1], 0, None) + np.clip(t - pos[0], None, 0)
        else:
            s = values["D_STARTOFFS"] + t * values["D_PLAYRATE"]
        frame = (a + b * s) * rate
        heard = np.stack([np.interp(frame, np.arange(len(samples)), column, left=0.0, right=0.0)
                          for column in samples.T], axis=1) * float(np.prod(take.fx))
        folder = Path(project.media_dir)
        folder.mkdir(parents=True, exist_ok=True)
        n = 1
        while (folder / f"{take.name or 'untitled'}-render-{n:03d}.wav").exists():
            n += 1
        path = folder / f"{take.name or 'untitled'}-render-{n:03d}.wav"
        sf.write(path, heard.astype(np.float32), rate, subtype="FLOAT")
        rendered = Take(item, Source.from_file(path), name=path.stem)
        for key in ("D_VOL", "D_PAN", "D_PANLAW", "I_CHANMODE"):
            rendered.values[key] = values[key]
        item.takes.append(rendered)
        item.values["I_CURTAKE"] = float(len(item.takes) - 1)
        self._change(project, "render take")

    def reaper_GetTrackNumMediaItems(self, tr):
        return len(tr.items)

    def reaper_GetTrackMediaItem(self, tr, itemidx):
        return tr.items[int(itemidx)] if 0 <= itemidx < len(tr.items) else None

    def reaper_GetMediaItem_Track(self, item):
        return item.track

    def reaper_GetMediaItemTrack(self, item):
        return item.track

    def reaper_GetItemProjectContext(self, item):
        return item.track.project if item.track else None

    def reaper_AddMediaItemToTrack(self, tr):
        item = Item(tr)
        tr.items.append(item)
        self._change(tr.project, "add item")
        return item

    def reaper_GetMediaItemInfo_Value(self, item, parmname):
        if parmname == "P_TRACK":
            raise ApiMisuse("use GetMediaItem_Track for the track pointer")
        return item.values.get(parmname, 0.0)

    def reaper_SetMediaItemInfo_Value(self, item, parmname, newvalue):
        item.values[parmname] = float(newvalue)
        if item.track:
            self._change(item.track.project, f"item {parmname}")
        return True

    def reaper_GetSetMediaItemInfo_String(self, item, parmname, stringNeedBig, setNewValue):
        if parmname == "GUID":
            return True, item.guid
        if parmname == "P_NOTES":
            if setNewValue:
                item.notes = stringNeedBig
            return True, item.notes
        raise ApiMisuse(f"GetSetMediaItemInfo_String {parmname} not faked")

    # takes
    def reaper_CountTakes(self, item):
        return len(item.takes)

    def reaper_GetActiveTake(self, item):
        return item.active_take

    def reaper_GetMediaItemTake(self, item, tk):
        return item.takes[int(tk)] if 0 <= tk < len(item.takes) else None

    def reaper_GetMediaItemTake_Item(self, take):
        return take.item

    def reaper_AddTakeToMediaItem(self, item):
        take = Take(item, None)
        item.takes.append(take)
        if item.track:
            self._change(item.track.project, "add take")
        return take

    def reaper_TakeIsMIDI(self, take):
        return take.source is not None and take.source.kind == "MIDI"

    def reaper_TakeFX_GetCount(self, take):
        return len(take.fx)

    def reaper_GetTakeNumStretchMarkers(self, take):
        return len(take.stretch_markers)

    def reaper_GetTakeName(self, take):
        return take.name

    def reaper_GetMediaItemTakeInfo_Value(self, take, parmname):
        if parmname in ("P_TRACK", "P_ITEM", "P_SOURCE"):
            raise ApiMisuse(f"{parmname} is a pointer: use the dedicated getter")
        return take.values.get(parmname, 0.0)

    def reaper_SetMediaItemTakeInfo_Value(self, take, parmname, newvalue):
        take.values[parmname] = float(newvalue)
        if take.item.track:
            self._change(take.item.track.project, f"take {parmname}")
        return True

    def reaper_GetSetMediaItemTakeInfo_String(self, tk, parmname, stringNeedBig, setNewValue):
        if parmname == "P_NAME":
            if setNewValue:
                tk.name = stringNeedBig
                if tk.item.track:
                    self._change(tk.item.track.project, "take name")
            return True, tk.name
        if parmname == "GUID":
            return True, tk.guid
        raise ApiMisuse(f"GetSetMediaItemTakeInfo_String {parmname} not faked")

    def reaper_GetMediaItemTake_Source(self, take):
        return take.source

    def reaper_SetMediaItemTake_Source(self, take, source):
        take.source = source
        if take.item.track:
            self._change(take.item.track.project, "take source")
        return True

    # sources
    def reaper_PCM_Source_CreateFromFile(self, filename):
        return Source.from_file(filename)

    def reaper_GetMediaSourceFileName(self, source):
        return source.filename

    def reaper_GetMediaSourceType(self, source):
        return source.kind

    def reaper_GetMediaSourceSampleRate(self, source):
        return source.sample_rate

    def reaper_GetMediaSourceNumChannels(self, source):
        return source.channels

    def reaper_GetMediaSourceLength(self, source):
        return source.length, False

    def reaper_GetMediaSourceParent(self, src):
        return src.parent

    def reaper_PCM_Source_GetSectionInfo(self, src):
        if src.kind == "SECTION":
            return True, src.section_offset, src.section_length, src.reverse
        return False, 0.0, src.length, False

    def reaper_CF_GetMediaSourceOnline(self, src):
        return src.online

    # misc
    def reaper_APIExists(self, function_name):
        return hasattr(self, f"reaper_{function_name}")

    def reaper_GetAppVersion(self):
        return "7.27/linux-x86_64"

    def reaper_GetResourcePath(self):
        return str(self.f.resource_path)

    def reaper_get_action_context(self):
        return False, self.f.script_path, 0, 0, -1, -1, -1, ""

    def reaper_time_precise(self):
        return self.f.clock

    def reaper_genGuid(self):
        return new_guid()

    def reaper_file_exists(self, path):
        return os.path.isfile(path)

    def reaper_RecursiveCreateDirectory(self, path, ignored):
        os.makedirs(path, exist_ok=True)
        return 1

    def reaper_ExecProcess(self, cmdline, timeoutmsec):
        """Runs the command for real (split as REAPER does, no shell); only without waiting."""
        if timeoutmsec != -1:
            raise ApiMisuse("ExecProcess that waits would block REAPER; the fake only runs -1 (no wait)")
        self.f.processes.append(subprocess.Popen(shlex.split(cmdline), env=self.f.exec_env, stdin=subprocess.DEVNULL,
                                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        return ""

    def reaper_defer(self, func):
        self.f.deferred.append(func)
        return True

    def reaper_ShowConsoleMsg(self, msg):
        self.f.console.append(msg)

    def reaper_ShowMessageBox(self, msg, title, type):
        self.f.messages.append((msg, title))
        return self.f.answers.pop(0) if self.f.answers else 1

    def reaper_MB(self, msg, title, type):
        return self.reaper_ShowMessageBox(msg, title, type)

    def reaper_GetUserInputs(self, title, num_inputs, captions_csv, retvals_csv):
        """The user's answer: inputs[0] as typed in the fields (a list, joined as REAPER joins
        them: by `separator=X` of captions_csv, else commas) or a str, None = cancel; none: OK."""
        self.f.dialogs.append((title, captions_csv, retvals_csv))
        separator = next((c[len("separator="):] for c in captions_csv.split(",") if c.startswith("separator=")), ",")
        captions = [c for c in captions_csv.split(",") if not c.startswith(("separator=", "extrawidth="))]
        if len(captions) != num_inputs:
            raise ApiMisuse(f"GetUserInputs: {num_inputs} inputs but captions {captions_csv!r}")
        answer = self.f.inputs.pop(0) if self.f.inputs else retvals_csv
        if isinstance(answer, list):
            if len(answer) != num_inputs or any(separator in value for value in answer):
                raise AssertionError(f"a user answer of {num_inputs} one-line fields, not {answer!r}")
            answer = separator.join(answer)
        return (False, "") if answer is None else (True, answer)

    def reaper_GetCursorPositionEx(self, proj):
        return self._project(proj).cursor

    # gfx
    def gfx_init(self, name, width=None, height=None, dockstate=None, xpos=None, ypos=None):
        self.f.gfx.w, self.f.gfx.h = width or 0, height or 0
        self.f.gfx_char = 0
        return 1

    def gfx_quit(self):
        self.f.gfx_char = -1
        return 0

    def gfx_update(self):
        return 0

    def gfx_getchar(self, character=None, unicode_char=None):
        return self.f.gfx_char

    def gfx_showmenu(self, menu_string):
        """The user picks the entry labelled menu_choices[0] (a str), or index (an int), or
        nothing (the list is empty)."""
        self.f.menus.append(menu_string)
        if not self.f.menu_choices:
            return 0
        wanted = self.f.menu_choices.pop(0)
        if isinstance(wanted, int):
            return wanted
        leaves = [part.lstrip("#!<") for part in menu_string.split("|") if not part.lstrip("#!<").startswith(">")]
        if wanted not in leaves:
            raise AssertionError(f"no {wanted!r} in the menu {menu_string!r}")
        return leaves.index(wanted) + 1

    def gfx_drawstr(self, str, flags=None, right=None, bottom=None):
        self.f.drawn.append(str)
        return 0

    def gfx_measurestr(self, str):
        return 7.0 * len(str), 14.0

    def gfx_set(self, r, g=None, b=None, a2=None, mode=None, dest=None):
        return 0

    def gfx_setfont(self, idx, fontface=None, sz=None, flags=None):
        return 0

    def gfx_rect(self, x, y, w, h, filled=None):
        return 0


