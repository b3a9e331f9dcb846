"""A sidecar's numbers are finite and in range, or its file goes to failed/ saying which key:
`1e40`, `NaN` (Python's json reads it) and an output_format beyond 0..5 are refused, the
daemon stays up and a good file next to them is separated."""

from __future__ import annotations

import json
import os

from .world import listing, manifest, tone, wait_for

SIDECARS = {
    "huge sep_type.wav": ('{"sep_type": 1e40}', "sep_type"),
    "nan format.wav": ('{"output_format": NaN}', "output_format"),
    "format 9.wav": (json.dumps({"output_format": 9}), "output_format"),
    "negative sep_type.wav": (json.dumps({"sep_type": -40}), "sep_type"),
}


def test_absurd_sidecar_numbers_send_the_file_to_failed_naming_the_key(hot, tmp_path):
    hot.configure({})
    daemon = hot.daemon()
    staging = tmp_path / "staging"
    for seed, (name, (text, _)) in enumerate(SIDECARS.items()):
        tone(staging / name, seed=seed)
        (staging / f"{name}.json").write_text(text)
    tone(staging / "good.wav", seed=9)
    for path in sorted(staging.iterdir(), key=lambda p: p.suffix == ".json", reverse=True):
        os.rename(path, hot.inbox / path.name)  # sidecars first

    wait_for(lambda: all((hot.failed / f"{n}.error.txt").exists() for n in SIDECARS), 120,
             what="every bad file in failed/", logs=daemon.log)
    wait_for(lambda: (hot.done / "good.wav").exists(), 120, what="the good file done", logs=daemon.log)
    for name, (_, key) in SIDECARS.items():
        note = (hot.failed / f"{name}.error.txt").read_text()
        assert f"{name}.json is invalid: {key}" in note, note
        assert "errors.pydantic.dev" not in note
    assert manifest(hot.out / "good")["stems"]
    assert listing(hot.out) and daemon.alive()
