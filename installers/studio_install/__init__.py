"""Studio's installer (standard library only, Python 3.11+).

The decisions (paths, commands, shortcut contents, which PyTorch build) are pure functions of a
:class:`~studio_install.layout.Target` (a platform, its environment variables and home folder),
so they are tested for Windows and Linux on any machine; ``steps`` and ``uninstall`` carry
them out.
"""
