"""Remove the app: the venv, shortcuts, settings, logs and cache. Downloaded models are kept
unless the user says to remove them (asked, or ``--remove-models``); the user's own headshot
packs are always kept."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePath

from .journal import LOG
from .layout import Layout

KEEP_ALWAYS = ("headshots",)  # the user's own work, saved in the data folder


@dataclass(frozen=True)
class UninstallPlan:
    remove: tuple[PurePath, ...]
    models: PurePath
    keep: tuple[PurePath, ...]


def uninstall_plan(layout: Layout, models: PurePath, data_entries: Iterable[str]) -> UninstallPlan:
    """What to delete: the app folder, shortcuts, the app's config, log and cache folders, and
    every other entry of the data folder except the model store and the user's headshot
    packs. On Windows config is the data folder itself and logs and cache sit inside it,
    hence the entry-wise rule."""
    keep_names = {*KEEP_ALWAYS, models.name if models.parent == layout.data else ""}
    remove: list[PurePath] = [layout.app, layout.shortcut]
    if layout.uninstall_shortcut is not None:
        remove.append(layout.uninstall_shortcut)
    remove += [f for f in layout.owned if f != layout.data and not _inside(f, layout.data)]
    remove += [layout.data / n for n in sorted(data_entries) if n not in keep_names]
    keep = tuple(layout.data / n for n in KEEP_ALWAYS)
    return UninstallPlan(tuple(dict.fromkeys(remove)), models, keep)


def _inside(path: PurePath, folder: PurePath) -> bool:
    return folder in path.parents


def _delete(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
    else:
        return
    LOG.info("Removed %s", path)


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def uninstall(
    layout: Layout, models: Path, remove_models: bool | None, ask: Callable[[str], bool]
) -> None:
    """Carry out :func:`uninstall_plan`; ``remove_models`` None means ask the user."""
    data = Path(layout.data)
    entries = [p.name for p in data.iterdir()] if data.is_dir() else []
    todo = uninstall_plan(layout, models, entries)
    for path in todo.remove:
        _delete(Path(path))
    if models.is_dir() and any(models.iterdir()):
        size_gb = _size(models) / 1e9
        if remove_models is None:
            remove_models = ask(
                f"Also remove the downloaded models in {models} ({size_gb:.1f} GB)? [y/N] "
            )
        if remove_models:
            _delete(models)
        else:
            LOG.info("Kept the downloaded models in %s (%.1f GB).", models, size_gb)
    elif models.is_dir():
        _delete(models)
    for kept in todo.keep:
        if Path(kept).exists():
            LOG.info("Kept your own work in %s.", kept)
    if data.is_dir() and not any(data.iterdir()):
        data.rmdir()
    LOG.info("Studio is uninstalled.")
