"""Carry out an install: each step runs the commands ``plan`` decides, logs them, and is
recorded in the journal when it succeeds, so running again resumes after the last good step.
Running again after a completed install updates in place (the steps are idempotent)."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import plan
from .gpu import TorchChoice
from .journal import LOG, Journal, write_atomic
from .layout import Layout, Target

STEPS = ("venv", "torch", "studio", "onnxruntime", "shortcut", "uninstaller")


class StepFailed(Exception):
    """A step could not finish; the message says what to do."""


@dataclass(frozen=True)
class Options:
    base_python: str  # the interpreter the venv is made from
    source: plan.Source = plan.Source()
    torch: str = "auto"  # auto: keep a fitting torch; skip: never touch it; reinstall
    torch_index_url: str = ""
    system_site_packages: bool = False
    site_packages_from: str = ""  # another interpreter whose packages the venv may import
    shortcut: bool = True
    installer_dir: Path = field(default_factory=lambda: Path(__file__).resolve().parents[1])


def run(cmd: Sequence[str], what: str) -> str:
    """Run ``cmd``, logging its output line by line; StepFailed when it fails."""
    LOG.info("$ %s", subprocess.list2cmdline([str(c) for c in cmd]))
    try:
        proc = subprocess.Popen(
            [str(c) for c in cmd],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
    except OSError as exc:
        raise StepFailed(f"Could not {what}: {exc}") from exc
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        LOG.info("  %s", line.rstrip())
    if proc.wait() != 0:
        raise StepFailed(f"Could not {what} (exit code {proc.returncode}; details above).")
    return "".join(lines)


def _python_json(python: Path, code: str) -> object | None:
    """The JSON a snippet prints in ``python``; None when it fails (e.g. import error)."""
    try:
        out = subprocess.run(
            [str(python), "-c", code], capture_output=True, text=True, timeout=600, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    try:
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


SITE_PATHS = (
    "import json, sysconfig; p = sysconfig.get_paths(); "
    "print(json.dumps([p['purelib'], p['platlib']]))"
)
DISTRIBUTIONS = (
    "import json, importlib.metadata as m; "
    "print(json.dumps(sorted({(d.metadata['Name'] or '').lower() for d in m.distributions()})))"
)


def step_venv(layout: Layout, options: Options) -> None:
    python = Path(layout.python)
    if _python_json(python, "print(1)") == 1:
        LOG.info("The app's Python environment is there: %s", layout.venv)
    else:
        if Path(layout.venv).exists():
            LOG.info("Removing a broken environment at %s", layout.venv)
            shutil.rmtree(layout.venv)
        run(
            plan.venv_command(
                options.base_python,
                layout,
                options.system_site_packages,
                with_pip=not options.site_packages_from,
            ),
            "create the app's Python environment",
        )
    if options.site_packages_from:
        shared = _python_json(Path(options.site_packages_from), SITE_PATHS)
        own = _python_json(python, SITE_PATHS)
        if not isinstance(shared, list) or not isinstance(own, list):
            raise StepFailed(f"Could not read the packages of {options.site_packages_from}.")
        pth = Path(own[0]) / "_studio_shared_site_packages.pth"
        write_atomic(pth, plan.shared_site_packages_pth(shared))
        LOG.info("The environment also imports the packages of %s", options.site_packages_from)


def step_torch(layout: Layout, options: Options, choice: TorchChoice) -> None:
    LOG.info(choice.reason)
    if options.torch == "skip":
        LOG.info("Leaving PyTorch as it is (--torch skip).")
        return
    found = _python_json(Path(layout.python), plan.TORCH_PROBE)
    probe = found if isinstance(found, dict) else None
    if options.torch != "reinstall" and probe and plan.torch_satisfied(probe, choice):
        LOG.info("PyTorch %s is already installed and fits this machine.", probe["version"])
        return
    run(plan.torch_install(layout, choice, options.torch_index_url), "install PyTorch")


def step_studio(layout: Layout, options: Options) -> None:
    for cmd in plan.studio_install(layout, options.source):
        run(cmd, "install Studio")
    where = _python_json(
        Path(layout.python), "import json, studio; print(json.dumps(studio.__file__))"
    )
    if not isinstance(where, str) or Path(layout.venv) not in Path(where).parents:
        raise StepFailed(f"Studio did not land in {layout.venv} (found: {where}).")


def step_onnxruntime(layout: Layout, options: Options, choice: TorchChoice) -> None:
    names = _python_json(Path(layout.python), DISTRIBUTIONS)
    installed = set(names) if isinstance(names, list) else set()
    commands = plan.onnxruntime_commands(layout, choice, installed, options.source)
    if not choice.cuda:
        LOG.info("ONNX models run on the CPU (the CPU build of onnxruntime: no usable CUDA).")
    elif not commands:
        LOG.info("The GPU build of onnxruntime is installed.")
    for cmd in commands:
        run(cmd, "switch onnxruntime to its GPU build")


def step_shortcut(target: Target, layout: Layout, options: Options) -> None:
    if not options.shortcut:
        LOG.info("No shortcut (--no-shortcut).")
        return
    name = "studio.ico" if target.system == "windows" else "studio.png"
    code = (
        "import json; from importlib.resources import files; "
        f"print(json.dumps(str(files('studio.resources').joinpath('icons', '{name}'))))"
    )
    icon = _python_json(Path(layout.python), code)
    if not isinstance(icon, str) or not Path(icon).is_file():
        raise StepFailed("The installed Studio has no icon file; reinstall Studio.")
    Path(layout.icon).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(icon, layout.icon)
    if target.system == "windows":
        for script in plan.windows_shortcut_scripts(layout):
            _run_powershell(script)
        LOG.info("Start-menu shortcut: %s", layout.shortcut)
        return
    write_atomic(Path(layout.shortcut), plan.desktop_entry(layout))
    LOG.info("Desktop entry: %s", layout.shortcut)
    validate = shutil.which("desktop-file-validate")
    if validate:
        run([validate, str(layout.shortcut)], "validate the desktop entry")


def _run_powershell(script: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "shortcut.ps1"
        path.write_text(script, encoding="utf-8-sig")  # BOM: Windows PowerShell 5 reads UTF-8
        run(
            ["powershell", "-NoProfile", "-ExecutionPolicy", "Bypass", "-File", str(path)],
            "create the Start-menu shortcut",
        )


def step_uninstaller(target: Target, layout: Layout, options: Options) -> None:
    copy = Path(layout.installer_copy)
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(
        options.installer_dir,
        copy,
        ignore=shutil.ignore_patterns("__pycache__", "*.whl", "linux", "windows", "make_icon.py"),
    )
    newline = "" if target.system == "windows" else None
    script = plan.uninstaller_script(target, layout, options.base_python)
    write_atomic(Path(layout.uninstaller), script, newline=newline)
    if target.system != "windows":
        Path(layout.uninstaller).chmod(0o755)
    LOG.info("Uninstaller: %s", layout.uninstaller)


def install(target: Target, layout: Layout, options: Options, choice: TorchChoice) -> None:
    """Run every step not done yet, then check the app with ``studio doctor``."""
    key = {"torch": choice.tag, "spec": options.source.spec, "python": options.base_python}
    journal = Journal(Path(layout.journal), key)
    if journal.resumed:
        LOG.info("Resuming an interrupted install (done before: %s).", ", ".join(journal.done))
    actions = {
        "venv": lambda: step_venv(layout, options),
        "torch": lambda: step_torch(layout, options, choice),
        "studio": lambda: step_studio(layout, options),
        "onnxruntime": lambda: step_onnxruntime(layout, options, choice),
        "shortcut": lambda: step_shortcut(target, layout, options),
        "uninstaller": lambda: step_uninstaller(target, layout, options),
    }
    for number, step in enumerate(STEPS, 1):
        if journal.is_done(step):
            LOG.info("[%d/%d] %s: done before, skipped", number, len(STEPS), step)
            continue
        LOG.info("[%d/%d] %s", number, len(STEPS), step)
        actions[step]()
        journal.mark(step)
    LOG.info("Checking the app (studio doctor):")
    run([str(layout.studio), "doctor"], "start the installed app (studio doctor)")
    journal.complete()
