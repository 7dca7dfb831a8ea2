"""The ``studio`` command: the GUI by default, and the same jobs headless.

``studio photo.png`` (or ``studio gui photo.png``) opens the window with the image in Canvas,
which is what a file manager's "Open with" runs.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from studio.core.errors import StudioError, format_size

if TYPE_CHECKING:
    from studio.models.store import ModelStore


def _store_with_imports() -> ModelStore:
    """The model store whose catalogue also lists the models the user imported."""
    from studio.models.imports import catalogue_with_imports
    from studio.services.headless import default_store

    store = default_store()
    store.catalogue = catalogue_with_imports(store.catalogue, store.root)
    return store


def _models_list(args: argparse.Namespace) -> int:
    store = _store_with_imports()
    for e in store.catalogue:
        state = "installed" if store.is_installed(e.id) else "-"
        commercial = "" if e.commercial_use else "  [non-commercial]"
        print(f"{e.id:<28} {state:<10} {format_size(e.size_bytes):>9}  {e.licence}{commercial}")
    print(f"\nmodel dir: {store.root}")
    return 0


def _models_download(args: argparse.Namespace) -> int:
    from studio.models.download import download_model
    from studio.services.headless import console_progress, default_store

    store = default_store()
    for model_id in args.ids:
        entry = store.catalogue.get(model_id)
        if store.is_installed(model_id) and not args.force:
            print(f"{model_id}: already installed")
            continue
        if not entry.commercial_use:
            print(f"note: {entry.name} is licensed '{entry.licence}' (non-commercial).")
        download_model(store, model_id, progress=console_progress)
        print(f"{model_id}: installed")
    return 0


def _models_verify(args: argparse.Namespace) -> int:
    from studio.models.imports import imported_entries
    from studio.models.verify import verify_models

    store = _store_with_imports()
    for model_id in args.ids:
        store.catalogue.get(model_id)  # an unknown id: KeyError, its message names the known
    results = verify_models(store, args.ids or None)
    if not results:
        print(f"no models installed in {store.root} (studio models list shows them all)")
        return 0
    for model_id, problems in results:
        print(f"{model_id}: {'ok' if not problems else '; '.join(problems)}")
    bad = [model_id for model_id, problems in results if problems]
    own = {e.id for e in imported_entries(store.root)}
    fixable = [i for i in bad if i not in own]
    if fixable:
        print(f"\nto repair: studio models download --force {' '.join(fixable)}")
    if any(i in own for i in bad):
        print("imported models: delete them and import the file again (studio models import)")
    return 1 if bad else 0


def _models_delete(args: argparse.Namespace) -> int:
    from studio.models.imports import imported_entries, remove_imported

    store = _store_with_imports()
    own = {e.id for e in imported_entries(store.root)}
    for model_id in args.ids:
        if model_id in own:
            remove_imported(store, model_id)  # its files and its entry
        else:
            store.delete(model_id)
        print(f"{model_id}: deleted")
    return 0


def _models_import(args: argparse.Namespace) -> int:
    from studio.models.imports import import_model

    store = _store_with_imports()
    entry = import_model(store, args.file, name=args.name, kind=args.kind)
    arch = entry.extra.get("architecture", "")
    print(f"{entry.id}: imported ({arch} {entry.task}, {format_size(entry.size_bytes)})")
    print(f"  sha256 {entry.urls[0].sha256}; licence: {entry.licence}")
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from studio.doctor import collect, format_report
    from studio.services.headless import default_store

    report = collect(default_store())
    print(json.dumps(report, indent=1) if args.json else format_report(report))
    return 0


def _gui(args: argparse.Namespace) -> int:
    from studio.ui.shell.app import run_gui

    paths = [Path(p) for p in getattr(args, "paths", None) or []]
    return run_gui(open_paths=paths or None)


def _file_to_open(text: str) -> Path:
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(
            f"'{text}' is a folder; name the images in it (e.g. studio \"{text}\"/*.png)"
        )
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"'{text}' is not a command nor an existing file")
    return path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="studio", description=__doc__)
    parser.set_defaults(func=_gui)
    sub = parser.add_subparsers(dest="command")
    gui = sub.add_parser("gui", help="open the window (the default)")
    gui.add_argument("paths", nargs="*", type=_file_to_open, help="images to open in Canvas")
    gui.set_defaults(func=_gui)

    models = sub.add_parser("models", help="list, download, verify or delete models")
    msub = models.add_subparsers(dest="models_command", required=True)
    msub.add_parser("list", help="every model, installed or not").set_defaults(func=_models_list)
    dl = msub.add_parser("download", help="download and verify models")
    dl.add_argument("ids", nargs="+")
    dl.add_argument("--force", action="store_true", help="download again even if installed")
    dl.set_defaults(func=_models_download)
    ver = msub.add_parser("verify", help="check installed files against their hashes")
    ver.add_argument("ids", nargs="*")
    ver.set_defaults(func=_models_verify)
    rm = msub.add_parser("delete", help="remove installed models")
    rm.add_argument("ids", nargs="+")
    rm.set_defaults(func=_models_delete)
    imp = msub.add_parser("import", help="import your own SDXL checkpoint or LoRA (.safetensors)")
    imp.add_argument("file", help="a .safetensors file")
    imp.add_argument("--name", default=None, help="the name to show (default: the file's)")
    imp.add_argument("--kind", choices=("checkpoint", "lora"), default=None)
    imp.set_defaults(func=_models_import)

    doctor = sub.add_parser("doctor", help="Python, torch, CUDA, GPU, VRAM, installed models")
    doctor.add_argument("--json", action="store_true")
    doctor.set_defaults(func=_doctor)

    import studio.clis

    for info in pkgutil.iter_modules(studio.clis.__path__):
        module = importlib.import_module(f"studio.clis.{info.name}")
        if hasattr(module, "register"):
            module.register(sub)
    return parser


def quiet_libraries() -> None:
    """Keep the libraries' own chatter (load bars, deprecation notes meant for developers) off
    the user's terminal: Studio prints its own progress. Set before they are imported; a user's
    own setting of these variables wins."""
    import os
    import warnings

    for name, value in (
        ("DIFFUSERS_VERBOSITY", "error"),
        ("TRANSFORMERS_VERBOSITY", "error"),
        ("HF_HUB_DISABLE_PROGRESS_BARS", "1"),
        ("TQDM_DISABLE", "1"),  # diffusers and transformers load bars
    ):
        os.environ.setdefault(name, value)
    for category in (FutureWarning, DeprecationWarning):
        warnings.filterwarnings("ignore", category=category)
    warnings.filterwarnings("ignore", message=r".*torch\.jit\.load.*")


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); returns the exit code.

    Bad options print argparse's message (naming the option) and return 2, never a traceback.
    """
    from studio.core.logs import setup_logging

    setup_logging()
    quiet_libraries()
    parser = build_parser()
    argv = route(list(sys.argv[1:] if argv is None else argv), parser)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the message (or the help)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return int(args.func(args) or 0)
    except StudioError as exc:
        # "\n" ends a progress line that the failure may have left open
        print(f"\nerror: {exc.user_message}", file=sys.stderr)
        return 2
    except KeyError as exc:
        print(f"error: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("cancelled", file=sys.stderr)
        return 130


def route(argv: list[str], parser: argparse.ArgumentParser) -> list[str]:
    """``studio photo.png [more.png]`` means ``studio gui photo.png ...`` ("Open with")."""
    if argv and not argv[0].startswith("-") and argv[0] not in _commands(parser):
        return ["gui", *argv]
    return argv


def _commands(parser: argparse.ArgumentParser) -> set[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
