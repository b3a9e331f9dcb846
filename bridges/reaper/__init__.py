"""The REAPER spool (DESIGN.md "REAPER"): the ReaScripts and the daemon talk through files, never
sockets or command lines.

Spool folder: `<data_dir>/reaper-spool/` (`install-reaper` writes its path for the scripts).

    requests/<id>.json     the scripts' requests; written as <id>.json.tmp, then renamed (atomic)
    requests/rejected/     requests that could not be used, kept for the user to look at
    status/<id>.json       the daemon's answer about request <id>, replaced atomically on every change
    daemon.json            heartbeat {"protocol": 1, "pid": N, "time": unix seconds}, every 2 s;
                           older than ~10 s (or missing): the daemon is not running
    catalog.json           {"protocol": 1, "algorithms": [{sep_type, name, group, order,
                           price_coefficient, input (audio | none | two files | voice),
                           fields: [{name, text, choices: [{key, label}], default,
                           price: {key: multiplier}}], text_fields: [{name, text, default}]}]}

Request ids match `[A-Za-z0-9][A-Za-z0-9._-]{0,95}` and are the file's name (a file named
otherwise is moved to rejected/ without a status). Paths are absolute. Requests:

    {"kind": "separate", "id": ID, "source": "/abs/file.wav", "start": s, "length": s,
     "sep_type": N, "options": {"add_opt1": "KEY"}, "output_format": N,
     "destination": "/project/media/MVSEP/ID", "label": "how the script names the item"}
    {"kind": "generate", "id": ID, "sep_type": N, "options": {"add_opt1": "a prompt"},
     "output_format": N, "destination": "/project/media/MVSEP/ID", "label": "…"}
    {"kind": "cancel", "id": ID2, "target": ID}

A generate request has no source (generation, speech: an algorithm whose input is "none"); its
text options are the input, carried as data only. Its audio lands in `<destination>/sep_type-N/`.

start/length are seconds of the source file (whole frames: the daemon cuts floor(x*rate+0.5)).
Stems land in `<destination>/<source name>/<stem>.<ext>`: the scripts give each request a new
folder under the project's media folder, so a new job never replaces files an item plays.

Status (`protocol.Status`): {"protocol": 1, "id", "job", "state", "message", "error", "hint",
"progress", "queue_position", "queue_count", "chunks_done", "chunks_total", "credits",
"result_dir", "stems": [{"name", "path" (absolute), "sample_rate", "frames"}],
"other_files": [{"name", "path", "kind": midi|text|audio|other}], "updated"}.
`state` is a job state (queued preparing uploading remote downloading finishing done failed
cancelled) or "rejected": the request never became a job (unreadable file, bad field, refused
by the engine: `error` says why and `hint` how to fix it). A script deletes a status file once
it has used the final state; the daemon never writes a final status twice, so a consumed one
does not come back after a daemon restart.

A request file is deleted only after its job exists and its first status is written; a request
seen again after a crash (same id) is matched to its job, never submitted twice. Cancelling a
request not taken yet removes it and answers "cancelled".
"""

from .bridge import ReaperBridge

__all__ = ["ReaperBridge"]
