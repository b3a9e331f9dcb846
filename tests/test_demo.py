"""README command 1: `mvsep-bridge demo` works with no account and leaves nothing running."""

import json
import os
import subprocess

import numpy as np
import soundfile as sf

from processes import CLI


def test_demo_separates_the_generated_clip_on_the_local_engine(tmp_path):
    env = {**os.environ, "MVSEP_API_TOKEN": "must-not-be-used"}  # the demo never uses a token
    result = subprocess.run([CLI, "demo", "--seconds", "3"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr

    out = tmp_path / "mvsep-demo"
    clip, rate = sf.read(out / "demo.wav", dtype="float32", always_2d=True)
    assert rate == 44_100 and clip.shape == (3 * 44_100, 2)

    manifest = json.loads((out / "demo" / "manifest.json").read_text())
    assert manifest["backend"] == "local"
    stems = []
    for stem in manifest["stems"]:
        path = out / "demo" / stem["file"]
        assert str(path) in result.stdout  # the user is told where each stem is
        data, stem_rate = sf.read(path, dtype="float32", always_2d=True)
        assert stem_rate == rate and data.shape == clip.shape
        stems.append(data)
    assert len(stems) >= 2
    assert np.max(np.abs(np.sum(stems, axis=0) - clip)) < 1e-4

    # the daemon it started is gone, and so is its address
    assert not (out / ".daemon" / "daemon.json").exists()
    assert "must-not-be-used" not in (out / ".daemon" / "daemon.out").read_text()
