"""The fake REAPER's in-memory world: projects (tabs) of tracks with folder depth, items, takes,
and sources (files measured with libsndfile; section sources over a parent, optionally reversed)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

import mido
import soundfile as sf


def new_guid() -> str:
    return "{" + str(uuid.uuid4()).upper() + "}"


@dataclass(eq=False)
class Source:
    filename: str = ""
    sample_rate: int = 0
    channels: int = 0
    length: float = 0.0
    kind: str = "WAVE"  # WAVE | FLAC | MIDI | EMPTY | SECTION ...
    online: bool = True
    parent: Source | None = None
    section_offset: float = 0.0  # SECTION: where in the parent, how long, reversed
    section_length: float = 0.0
    reverse: bool = False

    @classmethod
    def from_file(cls, path: str | Path) -> Source:
        path = str(path)
        if Path(path).suffix.lower() in (".mid", ".midi"):
            return cls._midi(path)
        try:
            info = sf.info(path)
        except (RuntimeError, OSError):  # REAPER keeps the reference but the source is offline
            return cls(filename=path, online=False)
        kind = {"WAV": "WAVE", "FLAC": "FLAC", "OGG": "VORBIS"}.get(info.format, info.format)
        return cls(filename=path, sample_rate=info.samplerate, channels=info.channels,
                   length=info.frames / info.samplerate, kind=kind)

    @classmethod
    def _midi(cls, path: str) -> Source:
        """REAPER reads a MIDI file into a source of type "MIDI": no sample rate or channels, as
        long as its last event (read here with mido, not our code)."""
        try:
            length = mido.MidiFile(path).length
        except (OSError, ValueError, EOFError):
            return cls(filename=path, kind="MIDI", online=False)
        return cls(filename=path, length=length, kind="MIDI")

    def file_map(self) -> tuple[Source, float, float]:
        """The file source under the sections, and file time = a + b * this source's time."""
        a, b, source = 0.0, 1.0, self
        while source.parent is not None:
            if source.reverse:
                a, b = source.section_offset + source.section_length - a, -b
            else:
                a = source.section_offset + a
            source = source.parent
        return source, a, b

    @classmethod
    def section(cls, parent: Source, offset: float, length: float, reverse: bool = False) -> Source:
        return cls(kind="SECTION", parent=parent, section_offset=offset, section_length=length,
                   reverse=reverse, sample_rate=parent.sample_rate, channels=parent.channels,
                   length=length, online=parent.online)


@dataclass(eq=False)
class Take:
    item: Item
    source: Source | None
    values: dict[str, float] = field(default_factory=lambda: {
        "D_STARTOFFS": 0.0, "D_VOL": 1.0, "D_PAN": 0.0, "D_PANLAW": -1.0, "D_PLAYRATE": 1.0,
        "D_PITCH": 0.0, "B_PPITCH": 0.0, "I_CHANMODE": 0.0, "I_PITCHMODE": -1.0, "I_STRETCHFLAGS": 0.0,
    })
    name: str = ""
    guid: str = field(default_factory=new_guid)
    # take FX, modelled as gains (what a volume plugin does to the samples) in chain order
    fx: list[float] = field(default_factory=list)
    # stretch markers (pos: seconds from the item's start, srcpos: the take's source time)
    stretch_markers: list[tuple[float, float]] = field(default_factory=list)


@dataclass(eq=False)
class Item:
    track: Track | None
    values: dict[str, float] = field(default_factory=lambda: {
        "D_POSITION": 0.0, "D_LENGTH": 0.0, "D_VOL": 1.0, "B_MUTE": 0.0, "D_FADEINLEN": 0.0,
        "D_FADEOUTLEN": 0.0, "C_FADEINSHAPE": 0.0, "C_FADEOUTSHAPE": 0.0, "D_FADEINDIR": 0.0,
        "D_FADEOUTDIR": 0.0, "D_SNAPOFFSET": 0.0, "B_LOOPSRC": 1.0, "B_UISEL": 0.0, "I_CURTAKE": 0.0,
    })
    takes: list[Take] = field(default_factory=list)
    guid: str = field(default_factory=new_guid)
    notes: str = ""

    @property
    def active_take(self) -> Take | None:
        index = int(self.values["I_CURTAKE"])
        return self.takes[index] if 0 <= index < len(self.takes) else None


@dataclass(eq=False)
class Track:
    project: Project
    name: str = ""
    values: dict[str, float] = field(default_factory=lambda: {
        "I_FOLDERDEPTH": 0.0, "B_MUTE": 0.0, "D_VOL": 1.0, "I_SELECTED": 0.0, "I_NCHAN": 2.0,
    })
    items: list[Item] = field(default_factory=list)
    guid: str = field(default_factory=new_guid)
    ext: dict[str, str] = field(default_factory=dict)  # P_EXT:<key>


@dataclass(frozen=True)
class Marker:
    """A project marker or region (AddProjectMarker2): regions have an end."""

    number: int  # the number REAPER shows (markers and regions are numbered apart)
    is_region: bool
    position: float
    end: float
    name: str
    color: int = 0


@dataclass(eq=False)
class Project:
    path: str  # the .rpp file ("" when never saved)
    media_dir: str  # where recorded/imported media go (GetProjectPathEx)
    tracks: list[Track] = field(default_factory=list)
    ext_state: dict[tuple[str, str], str] = field(default_factory=dict)
    undo_points: list[str] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    time_selection: tuple[float, float] = (0.0, 0.0)
    cursor: float = 0.0  # the edit cursor, seconds
    open: bool = True
    block_depth: int = 0
    # every mutation: (what, block depth, UI refresh prevented?) for undo/refresh assertions
    changes: list[tuple[str, int, bool]] = field(default_factory=list)
    change_count: int = 0

    undo_states: list[list] = field(default_factory=list)  # the state before each undo point
    redo_points: list[str] = field(default_factory=list)  # what Ctrl+Shift+Z would bring back

    def snapshot(self) -> tuple:
        """What Ctrl+Z restores: tracks, their items, takes and every value, markers (not ext state)."""
        return list(self.markers), [(t, t.name, dict(t.values), dict(t.ext), [
            (i, dict(i.values), [(k, dict(k.values), k.source, k.name, list(k.fx), list(k.stretch_markers))
                                  for k in i.takes]) for i in t.items])
            for t in self.tracks]

    def restore(self, state: tuple) -> None:
        markers, tracks = state
        self.markers = list(markers)
        self.tracks = []
        for track, name, values, ext, items in tracks:
            track.name, track.values, track.ext, track.items = name, dict(values), dict(ext), []
            for item, item_values, takes in items:
                item.values, item.takes = dict(item_values), []
                for take, take_values, source, take_name, fx, markers in takes:
                    take.values, take.source, take.name = dict(take_values), source, take_name
                    take.fx, take.stretch_markers = list(fx), list(markers)
                    item.takes.append(take)
                track.items.append(item)
            self.tracks.append(track)

    def describe(self) -> list:
        """The project as a user sees it, for before/after comparisons."""
        return list(self.markers) + [(t.name, sorted(t.values.items()), [
            (sorted(i.values.items()), [(k.name, sorted(k.values.items()), id(k.source), k.fx, k.stretch_markers)
                                         for k in i.takes])
            for i in t.items]) for t in self.tracks]


