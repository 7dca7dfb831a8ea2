#!/usr/bin/env bash
# Install whatever is missing for Studio: system libraries (Debian/Ubuntu, when run as root or
# with sudo), a virtual environment in .venv, and the Python packages from pyproject.toml.
# Usage: scripts/setup.sh [--test]   (--test adds the test and check tools)
# Safe to run again: it skips what is already there, and never blocks a launch when an
# optional step (apt, pip) cannot run, e.g. offline.
set -euo pipefail
cd "$(dirname "$0")/.."

mode="run"
[ "${1:-}" = "--test" ] && mode="test"

# --- system libraries, checked as shared objects (package names differ between releases,
# e.g. libglib2.0-0 vs libglib2.0-0t64). Each line: library file, then the apt package(s).
need_libs="libGL.so.1:libgl1 libEGL.so.1:libegl1 libxkbcommon.so.0:libxkbcommon0
libxkbcommon-x11.so.0:libxkbcommon-x11-0 libfontconfig.so.1:libfontconfig1
libdbus-1.so.3:libdbus-1-3 libglib-2.0.so.0:libglib2.0-0t64|libglib2.0-0
libxcb-cursor.so.0:libxcb-cursor0 libxcb-icccm.so.4:libxcb-icccm4
libxcb-keysyms.so.1:libxcb-keysyms1 libxcb-randr.so.0:libxcb-randr0
libxcb-shape.so.0:libxcb-shape0 libxcb-xfixes.so.0:libxcb-xfixes0
libxcb-render-util.so.0:libxcb-render-util0 libxcb-image.so.0:libxcb-image0
libX11-xcb.so.1:libx11-xcb1 libpulse.so.0:libpulse0 libportaudio.so.2:libportaudio2"
missing=""
if command -v ldconfig >/dev/null 2>&1; then
  libs="$(ldconfig -p 2>/dev/null || true)"
  for item in $need_libs; do
    lib="${item%%:*}"; pkgs="${item#*:}"
    grep -q "$lib" <<<"$libs" && continue
    pick="${pkgs%%|*}"
    if command -v apt-cache >/dev/null 2>&1 && [ "$pick" != "$pkgs" ] &&
       ! apt-cache show "$pick" >/dev/null 2>&1; then
      pick="${pkgs#*|}"
    fi
    missing="$missing $pick"
  done
fi
if [ "$mode" = "test" ] && ! command -v espeak-ng >/dev/null 2>&1; then
  missing="$missing espeak-ng"  # real speech for the lipsync tests
fi
if [ "$mode" = "test" ] && ! command -v chromium >/dev/null 2>&1; then
  missing="$missing chromium"  # the /live page test (headless, fake camera)
fi
if [ "$mode" = "test" ] && ! command -v redis-server >/dev/null 2>&1; then
  missing="$missing redis-server"  # the Celery scale-out tests run a real Redis
fi
if [ "$mode" = "test" ] && ! command -v desktop-file-validate >/dev/null 2>&1; then
  missing="$missing desktop-file-utils"  # the installer tests validate the desktop entry
fi
# venv needs ensurepip, which Debian/Ubuntu ship separately
pyver=""
for candidate in python3.13 python3.12 python3.11 python3; do
  if command -v "$candidate" >/dev/null 2>&1 &&
     "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    python="$candidate"
    pyver="$("$candidate" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
    break
  fi
done
[ -n "$pyver" ] || { echo "error: Studio needs Python 3.11 or newer" >&2; exit 1; }
if ! "$python" -c 'import ensurepip' >/dev/null 2>&1; then
  missing="$missing python$pyver-venv"
fi
if [ -n "$missing" ] && command -v apt-get >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo"
  if [ "$(id -u)" = 0 ] || [ -n "$sudo" ]; then
    echo "Installing system packages:$missing"
    { $sudo apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null; } ||
      echo "warning: could not install:$missing (continuing)" >&2
  else
    echo "warning: please install these system packages:$missing" >&2
  fi
elif [ -n "$missing" ]; then
  echo "warning: these system libraries seem missing:$missing" >&2
fi

# --- the virtual environment (recreated if an earlier attempt left it without pip)
if ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
  rm -rf .venv
  "$python" -m venv .venv
fi

# --- Python packages, reinstalled only when pyproject.toml changes (a test install also
# serves a plain run, so switching between the two commands installs nothing offline)
stamp=".venv/.studio-installed"
digest="$(sha256sum pyproject.toml | cut -d' ' -f1)"
have="$(cat "$stamp" 2>/dev/null || true)"
if [ "$have" != "$digest:test" ] && { [ "$mode" = "test" ] || [ "$have" != "$digest:run" ]; }; then
  extras=""; [ "$mode" = "test" ] && extras="[test]"
  if .venv/bin/python -m pip install -q --upgrade pip &&
     .venv/bin/python -m pip install -q -e ".$extras"; then
    echo "$digest:$mode" > "$stamp"
  elif [ -x .venv/bin/studio ] && [ "$mode" = "run" ]; then
    echo "warning: could not update the Python packages; starting with the installed ones" >&2
  else
    echo "error: installing the Python packages failed (see above)" >&2
    exit 1
  fi
fi
