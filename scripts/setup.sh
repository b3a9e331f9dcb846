#!/usr/bin/env bash
# Sets up a fresh machine for mvsep-bridge: the Debian libraries it talks to (PortAudio for audio
# devices, liblo-tools as an independent OSC peer in tests, chromium + its driver for the status
# page's browser tests), then .venv with the project installed.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBS=(libportaudio2 liblo-tools libasound2 alsa-utils curl ffmpeg chromium chromium-driver)
missing=()
for deb in "${DEBS[@]}"; do
    dpkg-query -W -f='${Status}' "$deb" 2>/dev/null | grep -q "install ok installed" || missing+=("$deb")
done
if ((${#missing[@]})); then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "setup: installing Debian packages: ${missing[*]}" >&2
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    echo "setup: mvsep-bridge needs Python >= 3.11 (set PYTHON=/path/to/python3.11)" >&2
    exit 2
}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
# torch (the demucs extra) only in CI or when asked: the real-torch Demucs test needs it, an
# everyday contributor does not (README, "The local engine"); without it that test is skipped
EXTRAS=test
if [ "${CI:-}" = true ] || [ "${MVSEP_SETUP_TORCH:-}" = 1 ]; then EXTRAS=test,demucs; fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[$EXTRAS]" >&2
