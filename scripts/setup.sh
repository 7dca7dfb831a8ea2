#!/usr/bin/env bash
# Install whatever is missing for Studio: system libraries (Debian/Ubuntu, when run as root or
# with sudo), a virtual environment in .venv, and the Python packages from pyproject.toml.
# Usage: scripts/setup.sh [--test]   (--test adds the test and check tools)
# Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

extras=""
[ "${1:-}" = "--test" ] && extras="[test]"

# --- system libraries: Qt's runtime (xcb/EGL/fonts), PulseAudio for QtMultimedia,
# PortAudio for the microphone, espeak-ng for the lipsync tests' synthetic speech.
packages="libgl1 libegl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3
libglib2.0-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libpulse0 libportaudio2"
[ -n "$extras" ] && packages="$packages espeak-ng"
if command -v dpkg >/dev/null 2>&1; then
  missing=""
  for p in $packages; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
  done
  if [ -n "$missing" ]; then
    sudo=""
    [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo"
    if [ "$(id -u)" = 0 ] || [ -n "$sudo" ]; then
      echo "Installing system packages:$missing"
      $sudo apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
    else
      echo "warning: please install these system packages:$missing" >&2
    fi
  fi
fi

# --- Python 3.11+ and the virtual environment
python=""
for candidate in python3.13 python3.12 python3.11 python3; do
  if command -v "$candidate" >/dev/null 2>&1 &&
     "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    python="$candidate"; break
  fi
done
[ -n "$python" ] || { echo "error: Studio needs Python 3.11 or newer" >&2; exit 1; }
[ -x .venv/bin/python ] || "$python" -m venv .venv

# --- Python packages, reinstalled only when pyproject.toml or the extras change
stamp=".venv/.studio-installed"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)$extras"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".$extras"
  echo "$want" > "$stamp"
fi
