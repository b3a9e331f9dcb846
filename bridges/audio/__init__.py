"""Audio devices (DESIGN.md "Audio devices"): preview a job's stems on an output device, capture an
input into a lossless file and separate it. Built on PortAudio through sounddevice.

    errors.py     NoSuchDevice, UnsupportedFormat, DeviceBusy, PortAudioMissing (with the install hint)
    portaudio.py  loading PortAudio, re-reading its device list, its error codes
    devices.py    listing, choosing a device by number or name, checking rate and channels
    mixing.py     pure sample math: a mix of stem blocks, the first frame of a preview
    player.py     streaming stems from disk to a device (soxr when the device needs another rate)
    recorder.py   an input stream into a FLAC/WAV file, without blocking PortAudio's thread
    actions.py    the actions' arguments (pydantic)
    bridge.py     AudioBridge: the Bridge the daemon starts; it offers the actions below

Actions, through `engine.call("audio", ACTION, ARGUMENTS)` (OSC) or the control channel
`POST /v1/call/audio/ACTION` (the CLI). Arguments and answers are JSON objects; bad arguments,
an unknown device, a rate or channel count the device does not take, a busy device and a missing
PortAudio raise UsageError (message + hint). A device `D` is its number or (a unique part of) its
name; omitted, the default device.

- "devices" {} -> {"devices": [{index, name, host_api, input_channels, output_channels,
  default_rate, default_input, default_output}, …]}
- "play" {job, stems?: [name…] (default: all, mixed), stem?: name (one more, as OSC sends it),
  device?: D, start?: seconds, rate?: Hz}
  -> the playback's status: {playing: id, job, stems, device, state: "playing", rate (the
  device's), file_rate, channels, start, frames_played, seconds_played, underflows, error}.
  Returns once the stream runs; a play replaces the one playing. OSC /mvsep/play s:job s:stem is
  {"job": job, "stem": stem}.
- "stop" {} -> the stopped playback's status (state "stopped", or "done"/"failed" if it had
  ended), or {"playing": null, "state": "idle"}. The sound stops at once.
- "status" {} -> {"playback": status|null, "recording": status|null}; a playback's state ends
  as "done", "stopped" or "failed" (with `error`, e.g. the device disappeared).
- "record_start" {device?: D, seconds?: s, rate?: Hz (default: the device's), channels?: n
  (default 2, 1 on a mono device), file_format?: "flac"|"wav", sep_type?, options?: {add_optN: v},
  output_format?, destination?: folder, replace?: bool} -> the recording's status: {recording:
  id, device, state: "recording", file, rate, channels, frames, seconds, overflows, job: null,
  error}. The algorithm, options and format are checked before anything is recorded.
  The file goes to `destination` (default: <data dir>/recordings/); the job's stems to
  <destination or that folder>/<file name>/. One recording at a time (DeviceBusy otherwise).
- "record_stop" {wait?: s} -> the recording's status once the file is closed and submitted:
  state "submitted" with `job` (reply channel bridge "audio", tag = the recording id), or
  "failed" with `error` (the file is kept). `wait`: let a recording with `seconds` end by
  itself, waiting up to that long. `overflows` > 0: the input overran (a gap in the file).
"""

from .bridge import AudioBridge

__all__ = ["AudioBridge"]
