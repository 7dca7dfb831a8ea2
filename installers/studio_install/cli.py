"""``install.py``'s command line: install or update (the default), or ``--uninstall``."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from . import plan
from .gpu import TORCH_INDEX, Gpu, TorchChoice, choose_torch, detect_gpu
from .journal import LOG, setup_log
from .layout import Layout, Target, layout_for, models_dir
from .steps import Options, StepFailed, install
from .uninstall import uninstall

MIN_PYTHON = (3, 11)


def python_advice(target: Target) -> str:
    """How to get a suitable Python on ``target`` (shown when none is found)."""
    if target.system == "windows":
        return (
            "Studio needs Python 3.11 or newer. Install it with\n"
            "    winget install -e --id Python.Python.3.12\n"
            "or from https://www.python.org/downloads/windows/ (tick 'Add python.exe to PATH'),"
            " then run the installer again."
        )
    return (
        "Studio needs Python 3.11 or newer with its venv module. On Debian/Ubuntu:\n"
        "    sudo apt install python3 python3-venv\n"
        "(older releases: python3.11 python3.11-venv; Fedora: sudo dnf install python3), "
        "then run the installer again."
    )


def check_python(python: str, target: Target) -> str | None:
    """None when ``python`` can make the app's venv, else what is wrong and how to fix it."""
    code = (
        "import json, sys; ok = True\n"
        "try:\n    import venv, ensurepip\nexcept ImportError:\n    ok = False\n"
        "print(json.dumps([list(sys.version_info[:2]), ok]))"
    )
    try:
        out = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)
        version, has_venv = json.loads(out.stdout.strip())
    except (OSError, ValueError):
        return f"Could not run Python at {python}.\n{python_advice(target)}"
    if tuple(version) < MIN_PYTHON:
        return f"{python} is Python {version[0]}.{version[1]}.\n{python_advice(target)}"
    if not has_venv:
        return f"{python} has no venv/ensurepip module.\n{python_advice(target)}"
    return None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="install.py",
        description="Install, update (run it again) or uninstall Studio for this user.",
    )
    p.add_argument("--uninstall", action="store_true", help="remove Studio")
    models = p.add_mutually_exclusive_group()
    models.add_argument(
        "--keep-models",
        dest="remove_models",
        action="store_false",
        default=None,
        help="uninstall: keep downloaded models (no question)",
    )
    models.add_argument(
        "--remove-models",
        dest="remove_models",
        action="store_true",
        help="uninstall: also remove downloaded models (no question)",
    )
    p.add_argument(
        "--python",
        default=sys.executable,
        help="the Python 3.11+ the app's environment is made from (default: this one)",
    )
    p.add_argument(
        "--package",
        default="",
        help="what to install: a wheel file, a source folder or a requirement (default: "
        "the newest studio-*.whl next to this installer, else the checkout around it, else "
        "'studio' from the index)",
    )
    p.add_argument("--index-url", default="", help="package index for Studio (pip's option)")
    p.add_argument(
        "--find-links",
        action="append",
        default=[],
        help="folder or page with wheels (pip's option; repeatable)",
    )
    p.add_argument(
        "--no-index",
        action="store_true",
        help="only --find-links: install without reaching a package index",
    )
    p.add_argument(
        "--no-deps",
        action="store_true",
        help="install Studio without its dependencies (they are there already)",
    )
    p.add_argument(
        "--torch",
        choices=("auto", "skip", "reinstall"),
        default="auto",
        help="auto: keep a torch that fits this machine, else install the matching "
        "build; skip: leave torch alone; reinstall: always install",
    )
    p.add_argument(
        "--torch-index-url",
        default="",
        help="PyTorch wheel index (default: the one matching the NVIDIA driver)",
    )
    p.add_argument("--cpu", action="store_true", help="the CPU build even with an NVIDIA GPU")
    p.add_argument(
        "--system-site-packages",
        action="store_true",
        help="let the app's environment import the base Python's packages",
    )
    p.add_argument(
        "--site-packages-from",
        default="",
        metavar="PYTHON",
        help="let the app's environment import the packages of another Python "
        "environment (reuse its torch instead of downloading it)",
    )
    p.add_argument(
        "--no-shortcut",
        dest="shortcut",
        action="store_false",
        help="no desktop entry / Start-menu shortcut",
    )
    return p


def _source(args: argparse.Namespace, installer_dir: Path) -> plan.Source:
    spec = args.package or plan.package_spec(
        installer_dir,
        [p.name for p in installer_dir.glob("studio-*.whl")],
        (installer_dir.parent / "pyproject.toml").is_file()
        and (installer_dir.parent / "src" / "studio").is_dir(),
    )
    return plan.Source(spec, args.index_url, tuple(args.find_links), args.no_index, args.no_deps)


def _ask(question: str) -> bool:
    if not sys.stdin.isatty():
        LOG.info("%s(no terminal to ask: keeping them; --remove-models removes them)", question)
        return False
    return input(question).strip().lower() in ("y", "yes")


def _uninstall(target: Target, layout: Layout, remove_models: bool | None) -> int:
    setup_log(Path(tempfile.gettempdir()) / "studio-uninstall.log")
    os.chdir(target.home)  # Windows cannot delete a folder some process is in
    settings = Path(layout.config) / "settings.json"
    text = settings.read_text(encoding="utf-8") if settings.is_file() else None
    uninstall(layout, Path(models_dir(target, layout, text)), remove_models, _ask)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    target = Target.current()
    layout = layout_for(target)
    if args.uninstall:
        return _uninstall(target, layout, args.remove_models)
    setup_log(Path(layout.log))
    LOG.info("Installing Studio into %s (log: %s)", layout.app, layout.log)
    problem = check_python(args.python, target)
    if problem:
        LOG.error(problem)
        return 1
    gpu: Gpu | None = detect_gpu()
    choice: TorchChoice = choose_torch(gpu)
    if args.cpu:
        choice = TorchChoice("cpu", f"{TORCH_INDEX}/cpu", "The CPU build of PyTorch (--cpu).")
    installer_dir = Path(__file__).resolve().parents[1]
    options = Options(
        base_python=args.python,
        source=_source(args, installer_dir),
        torch=args.torch,
        torch_index_url=args.torch_index_url,
        system_site_packages=args.system_site_packages,
        site_packages_from=args.site_packages_from,
        shortcut=args.shortcut,
        installer_dir=installer_dir,
    )
    try:
        install(target, layout, options, choice)
    except StepFailed as exc:
        LOG.error("error: %s\nThe log is %s. Run the installer again to resume.", exc, layout.log)
        return 1
    except KeyboardInterrupt:
        LOG.error("Interrupted. Run the installer again to resume.")
        return 130
    LOG.info(
        "Studio is installed. Start it from the %s, or run %s",
        "Start menu" if target.system == "windows" else "applications menu",
        layout.studio,
    )
    LOG.info("Uninstall: %s", layout.uninstaller)
    return 0
