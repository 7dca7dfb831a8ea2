#!/bin/sh
# Install or update Studio for this user (no root needed): finds Python 3.11+ and runs
# ../install.py with the options given here (install.py -h lists them; --uninstall removes).
set -eu
here="$(cd "$(dirname "$0")/.." && pwd)"
for candidate in python3.12 python3.13 python3.11 python3; do
  if command -v "$candidate" >/dev/null 2>&1 &&
     "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    exec "$candidate" "$here/install.py" --python "$(command -v "$candidate")" "$@"
  fi
done
cat >&2 <<'MSG'
Studio needs Python 3.11 or newer with its venv module. On Debian/Ubuntu:
    sudo apt install python3 python3-venv
(older releases: python3.11 python3.11-venv; Fedora: sudo dnf install python3),
then run this installer again.
MSG
exit 1
