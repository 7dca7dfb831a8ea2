"""Where the installed app lives, per platform: pure functions of a :class:`Target`.

The folders match what the app itself uses (platformdirs with ``appauthor=False``, see
``studio.core.paths``): on Linux the XDG folders, on Windows ``%LOCALAPPDATA%\\Studio``, where
config and data share one folder and logs and cache are its ``Logs`` and ``Cache``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath

APP = "Studio"


@dataclass(frozen=True)
class Target:
    """The machine an install is planned for (real, or simulated in tests)."""

    system: str  # "linux" or "windows"
    home: PurePath
    env: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def current(cls) -> Target:
        system = "windows" if sys.platform == "win32" else "linux"
        return cls(system, Path.home(), dict(os.environ))

    def path(self, text: str) -> PurePath:
        return PureWindowsPath(text) if self.system == "windows" else PurePosixPath(text)

    def _env_dir(self, name: str, default: PurePath) -> PurePath:
        value = self.env.get(name, "")
        return self.path(value) if value else default


@dataclass(frozen=True)
class Layout:
    """Every path the installer writes or removes."""

    data: PurePath  # the app's data folder (models live in data/models)
    config: PurePath
    logs: PurePath
    cache: PurePath
    app: PurePath  # the installed program: venv, icon, journal, install log, uninstaller
    venv: PurePath
    python: PurePath  # the venv's interpreter
    python_gui: PurePath  # the interpreter a shortcut starts (no console window on Windows)
    studio: PurePath  # the ``studio`` command inside the venv
    shortcut: PurePath  # Linux: the .desktop file; Windows: the Start-menu .lnk
    uninstall_shortcut: PurePath | None  # Windows only: "Uninstall Studio" in the Start menu
    icon: PurePath  # the icon the shortcut shows (copied out of the installed package)
    journal: PurePath
    log: PurePath
    installer_copy: PurePath  # a copy of this installer, so uninstalling needs no download
    uninstaller: PurePath  # a script that runs the copy with --uninstall
    owned: tuple[PurePath, ...]  # the app's folders outside ``data`` (config, logs, cache)

    @property
    def default_models(self) -> PurePath:
        return self.data / "models"


def layout_for(target: Target) -> Layout:
    """The install layout for ``target``; ``STUDIO_HOME`` moves everything as in the app."""
    studio_home = target.env.get("STUDIO_HOME", "")
    if target.system == "windows":
        local = target._env_dir("LOCALAPPDATA", target.home / "AppData" / "Local")
        roaming = target._env_dir("APPDATA", target.home / "AppData" / "Roaming")
        data = config = local / APP
        logs, cache = data / "Logs", data / "Cache"
        programs = roaming / "Microsoft" / "Windows" / "Start Menu" / "Programs"
        shortcut = programs / f"{APP}.lnk"
        uninstall_shortcut: PurePath | None = programs / f"Uninstall {APP}.lnk"
    else:
        share = target._env_dir("XDG_DATA_HOME", target.home / ".local" / "share")
        data = share / APP
        config = target._env_dir("XDG_CONFIG_HOME", target.home / ".config") / APP
        logs = target._env_dir("XDG_STATE_HOME", target.home / ".local" / "state") / APP / "log"
        cache = target._env_dir("XDG_CACHE_HOME", target.home / ".cache") / APP
        shortcut = share / "applications" / "studio.desktop"
        uninstall_shortcut = None
    # Linux logs sit in <state>/Studio/log: the folder the app owns is <state>/Studio
    owned = (config, logs.parent, cache) if target.system != "windows" else ()
    if studio_home:
        root = target.path(studio_home)
        data, config, logs, cache = root / "data", root / "config", root / "logs", root / "cache"
        owned = (config, logs, cache)
    app = data / "app"
    venv = app / "venv"
    if target.system == "windows":
        bindir = venv / "Scripts"
        python, python_gui, studio = (
            bindir / "python.exe",
            bindir / "pythonw.exe",
            bindir / "studio.exe",
        )
        icon, uninstaller = app / "studio.ico", app / "uninstall.bat"
    else:
        bindir = venv / "bin"
        python = python_gui = bindir / "python"
        studio = bindir / "studio"
        icon, uninstaller = app / "studio.png", app / "uninstall.sh"
    return Layout(
        data=data,
        config=config,
        logs=logs,
        cache=cache,
        app=app,
        venv=venv,
        python=python,
        python_gui=python_gui,
        studio=studio,
        shortcut=shortcut,
        uninstall_shortcut=uninstall_shortcut,
        icon=icon,
        journal=app / "install-state.json",
        log=app / "install.log",
        installer_copy=app / "installer",
        uninstaller=uninstaller,
        owned=owned,
    )


def models_dir(target: Target, layout: Layout, settings_text: str | None) -> PurePath:
    """The model store the app uses: the Settings' folder, else ``STUDIO_MODELS_DIR``, else
    ``<data>/models`` (same order as ``studio.core.settings``)."""
    import json

    if settings_text:
        try:
            chosen = json.loads(settings_text).get("models_dir", "")
        except (ValueError, AttributeError):
            chosen = ""
        if isinstance(chosen, str) and chosen:
            return target.path(chosen)
    env = target.env.get("STUDIO_MODELS_DIR", "")
    return target.path(env) if env else layout.default_models
