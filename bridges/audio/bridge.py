"""AudioBridge: the actions the daemon offers for audio devices (see the package docstring).

One preview plays at a time (a new one replaces it, as a preview should); one recording runs at a
time. Errors that a caller can fix are raised as UsageErrors from the action; what goes wrong
after an action returned (a device that disappears) ends that playback or recording with its
`error` set, and the daemon goes on.
"""

from __future__ import annotations

import itertools
import logging
import threading
from datetime import datetime, timezone
from pathlib import Path

from mvsep_bridge.daemon.engine import (
    BridgeError,
    Engine,
    JobRequest,
    JobState,
    ReplyChannel,
    UsageError,
)

from .actions import NoArgs, PlayArgs, RecordArgs, RecordStopArgs, parse
from .devices import check_format, choose, device_rate, list_devices
from .errors import DeviceBusy
from .player import Playback, StemFiles
from . import portaudio
from .portaudio import opening_error
from .recorder import Recording

log = logging.getLogger("mvsep_bridge.audio")

BRIDGE = "audio"
RECORDINGS = "recordings"  # under the data dir, when a recording has no destination


class AudioBridge:
    name = BRIDGE

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._playback: Playback | None = None
        self._recording: Recording | None = None
        self._starting = threading.Lock()  # one record_start at a time: two would both pass the busy check

    def start(self, engine: Engine) -> None:
        self.engine = engine
        engine.offer(BRIDGE, self.handle)

    def stop(self) -> None:
        with self._lock:
            playback, recording = self._playback, self._recording
        if playback:
            playback.stop()
            playback.wait(5)
        if recording:
            recording.stop()
            recording.wait(5)

    def handle(self, action: str, arguments: dict) -> dict:
        actions = {"devices": (NoArgs, self.devices), "play": (PlayArgs, self.play), "stop": (NoArgs, self.stop_playing),
                   "status": (NoArgs, self.status), "record_start": (RecordArgs, self.record_start),
                   "record_stop": (RecordStopArgs, self.record_stop)}
        if action not in actions:
            raise UsageError(f"the audio bridge has no action {action!r}",
                             hint=f"its actions: {', '.join(actions)}")
        model, run = actions[action]
        return run(parse(model, action, arguments))

    # --- actions ------------------------------------------------------------------------------

    def devices(self, _args: NoArgs) -> dict:
        return {"devices": [d.as_dict() for d in list_devices(portaudio.load())]}

    def play(self, args: PlayArgs) -> dict:
        job = self.engine.get(args.job)
        if job.state != JobState.DONE or job.result_dir is None:
            raise UsageError(f"job {job.id} is {job.state.value}: only a finished job's stems can be played",
                             hint=f"`mvsep-bridge status {job.id}` shows where it is")
        by_name = {s.name: s for s in job.stems}
        unknown = [n for n in args.stems if n not in by_name]
        if unknown:
            raise UsageError(f"job {job.id} has no stem {', '.join(map(repr, unknown))}",
                             hint=f"its stems: {', '.join(by_name) or 'none'}")
        names = args.stems or list(by_name)
        try:
            files = StemFiles.open([Path(job.result_dir) / by_name[n].file for n in names])
        except (OSError, RuntimeError, ValueError) as exc:  # soundfile's errors: moved, deleted, damaged
            raise UsageError(f"the stems of job {job.id} cannot be read: {exc}",
                             hint="the result folder may have been moved or deleted; m4a stems cannot be "
                                  "previewed (libsndfile does not read them): wav or flac ones can") from None
        sd = portaudio.load()
        device = choose(list_devices(sd), args.device, "output")
        if args.rate:
            check_format(sd, device, "output", args.rate, files.channels)
            rate = args.rate
        else:
            rate = device_rate(sd, device, "output", files.rate, files.channels)
        playback = Playback(id=f"p{next(self._ids)}", job=job.id, stems=names, device=device, files=files,
                            rate=rate, start=args.start)
        with self._lock:
            previous, self._playback = self._playback, playback
        if previous:  # a new preview replaces the one playing
            previous.stop()
            previous.wait(5)
        try:
            playback.begin(sd)
        except sd.PortAudioError as exc:
            playback.state, playback.error = "failed", str(exc)
            raise opening_error(exc, device.name) from None
        return playback.status()

    def stop_playing(self, _args: NoArgs) -> dict:
        with self._lock:
            playback = self._playback
        if playback is None:
            return {"playing": None, "state": "idle"}
        playback.stop()
        playback.wait(5)
        return playback.status()

    def status(self, _args: NoArgs) -> dict:
        with self._lock:
            playback, recording = self._playback, self._recording
        return {"playback": playback.status() if playback else None,
                "recording": recording.status() if recording else None}

    def record_start(self, args: RecordArgs) -> dict:
        if not self._starting.acquire(blocking=False):
            raise DeviceBusy("another recording is being started", hint="try again in a moment")
        try:
            return self._record_start(args)
        finally:
            self._starting.release()

    def _record_start(self, args: RecordArgs) -> dict:
        with self._lock:
            running = self._recording
        if running and running.state == "recording":
            raise DeviceBusy(f"a recording runs already ({running.id} from {running.device.name!r})",
                             hint="stop it first: `mvsep-bridge record` stops on Ctrl-C; OSC /mvsep/record/stop")
        sd = portaudio.load()
        device = choose(list_devices(sd), args.device, "input")
        channels = args.channels or min(2, device.input_channels)
        rate = args.rate or int(device.default_rate)
        check_format(sd, device, "input", rate, channels)
        recording_id = f"r{next(self._ids)}"
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        folder = args.destination or self.engine.settings.data_dir / RECORDINGS
        request = job_request(args, Path(folder) / f"recording-{stamp}-{recording_id}.{args.file_format}",
                              recording_id)
        self.engine.estimate(request)  # algorithm, options and format refused now, not after the take
        recording = Recording(id=recording_id, device=device, rate=rate, channels=channels, path=request.source,
                              seconds=args.seconds, on_done=lambda r: self._submit(r, request))
        try:
            recording.begin(sd)
        except sd.PortAudioError as exc:
            raise opening_error(exc, device.name) from None
        except OSError as exc:
            raise UsageError(f"cannot write the recording {recording.path}: {exc}",
                             hint="choose a writable destination folder") from None
        with self._lock:
            self._recording = recording
        return recording.status()

    def record_stop(self, args: RecordStopArgs) -> dict:
        with self._lock:
            recording = self._recording
        if recording is None:
            return {"recording": None, "state": "idle"}
        if not (args.wait and recording.wait(args.wait)):
            recording.stop()
            recording.wait()
        return recording.status()

    # --- a finished recording becomes a job ---------------------------------------------------

    def _submit(self, recording: Recording, request: JobRequest) -> None:
        if recording.state != "recorded":
            return
        if recording.frames == 0:
            recording.state, recording.error = "failed", "nothing was recorded"
            recording.path.unlink(missing_ok=True)
            return
        try:
            recording.job = self.engine.submit(request).id
            recording.state = "submitted"
        except BridgeError as exc:  # kept on disk: the user can separate the file by hand
            recording.state = "failed"
            recording.error = f"{exc.message} (the recording is kept in {recording.path})"
            log.warning("recording %s not submitted: %s", recording.id, exc)


def job_request(args: RecordArgs, path: Path, recording_id: str) -> JobRequest:
    """The job a recording becomes; its reply channel names the recording."""
    fields = dict(source=path, sep_type=args.sep_type, options=args.options, destination=args.destination,
                  replace=args.replace, reply=ReplyChannel(bridge=BRIDGE, tag=recording_id))
    if args.output_format is not None:
        fields["output_format"] = args.output_format
    return JobRequest(**fields)
