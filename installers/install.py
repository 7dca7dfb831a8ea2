#!/usr/bin/env python3
"""Install, update or uninstall Studio for the current user (standard library only).

    python3 install.py                 # install, or update in place when installed
    python3 install.py --uninstall     # remove the app (asks before removing models)
    python3 install.py -h              # every option

The launchers ``linux/install.sh`` and ``windows/install.ps1`` find a suitable Python and run
this file. The logic lives in ``studio_install/`` beside it.
"""

import os
import sys

# An old Python must get this message, not a syntax error from the modules below.
if sys.version_info < (3, 11):  # noqa: UP036
    sys.exit("Studio needs Python 3.11 or newer; this is Python {}.{}.".format(*sys.version_info))

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from studio_install.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
