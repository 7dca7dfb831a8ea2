"""Pure decisions: the commands each step runs and the text of every file it writes.

Nothing here touches the machine; ``steps`` runs what these functions return.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePath

from .gpu import TorchChoice
from .layout import Layout, Target

PACKAGE = "studio"
DESCRIPTION = "Generative image and video pipelines on your own GPU"


@dataclass(frozen=True)
class Source:
    """Where Studio itself comes from: pip's arguments for the package index."""

    spec: str = PACKAGE  # a requirement, or the path of a wheel file
    index_url: str = ""
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    no_deps: bool = False

    def pip_args(self) -> list[str]:
        args: list[str] = ["--no-index"] if self.no_index else []
        if self.index_url:
            args += ["--index-url", self.index_url]
        for link in self.find_links:
            args += ["--find-links", link]
        return args


def _wheel_version(name: str) -> tuple[int, ...] | None:
    match = re.fullmatch(r"studio-(\d+(?:\.\d+)*)-[^-]+-[^-]+-[^-]+\.whl", name)
    return tuple(int(p) for p in match.group(1).split(".")) if match else None


def local_wheel(names: Iterable[str]) -> str | None:
    """The newest ``studio-*.whl`` among ``names`` (the files next to the installer)."""
    found = [(v, n) for n in names if (v := _wheel_version(n)) is not None]
    return max(found)[1] if found else None


def package_spec(installer_dir: PurePath, names: Iterable[str], in_source_tree: bool) -> str:
    """What to install when ``--package`` is not given: the newest Studio wheel next to the
    installer (a release archive), else the source tree the installer sits in (a downloaded
    checkout: pip builds it), else ``studio`` from the package index."""
    wheel = local_wheel(names)
    if wheel:
        return str(installer_dir / wheel)
    return str(installer_dir.parent) if in_source_tree else PACKAGE


def pip(layout: Layout, *args: str) -> list[str]:
    return [str(layout.python), "-m", "pip", "--disable-pip-version-check", *args]


def venv_command(
    base_python: str, layout: Layout, system_site_packages: bool, with_pip: bool = True
) -> list[str]:
    """``with_pip=False`` when the venv shares another environment's packages: that pip
    serves, and a venv's own older pip/setuptools would shadow the shared ones."""
    extra = ["--system-site-packages"] if system_site_packages else []
    extra += [] if with_pip else ["--without-pip"]
    return [base_python, "-m", "venv", *extra, str(layout.venv)]


def shared_site_packages_pth(paths: Sequence[str]) -> str:
    """A ``.pth`` file that lets the app's venv import another environment's packages after
    its own (``--site-packages-from``: reuse an existing torch instead of downloading it)."""
    return "".join(f"{p}\n" for p in dict.fromkeys(paths))


# Run inside the app's venv: is torch there, which build, and does it see the GPU?
TORCH_PROBE = (
    "import json, torch; print(json.dumps({'version': torch.__version__, "
    "'cuda': torch.version.cuda, 'available': torch.cuda.is_available()}))"
)


def torch_satisfied(probe: dict | None, choice: TorchChoice) -> bool:
    """Keep the torch already in the venv when it fits: without a GPU any build runs (a CUDA
    build also runs on the CPU); with one it must see the GPU."""
    if not probe:
        return False
    return bool(probe.get("available")) if choice.cuda else True


def torch_install(layout: Layout, choice: TorchChoice, index_url: str = "") -> list[str]:
    """pip's command for torch + torchvision from the PyTorch index for ``choice``."""
    url = index_url or choice.index_url
    return pip(layout, "install", "--upgrade", "torch", "torchvision", "--index-url", url)


def studio_install(layout: Layout, source: Source) -> list[list[str]]:
    """Studio's dependencies (kept when they satisfy it), then Studio itself reinstalled into
    the venv, so an update with an unchanged version number (a rebuilt wheel) lands too."""
    args = source.pip_args()
    app = pip(layout, "install", "--force-reinstall", "--no-deps", *args, source.spec)
    if source.no_deps:
        return [app]
    return [pip(layout, "install", "--upgrade", *args, source.spec), app]


def onnxruntime_commands(
    layout: Layout, choice: TorchChoice, installed: set[str], source: Source
) -> list[list[str]]:
    """Exactly one onnxruntime build: the GPU build when CUDA is usable. The two builds share
    files, so the CPU build is uninstalled first (both, when both are there), then the GPU
    build installed; nothing to do when the right build alone is present."""
    if not choice.cuda:
        return []
    if "onnxruntime" not in installed and "onnxruntime-gpu" in installed:
        return []
    remove = [n for n in ("onnxruntime", "onnxruntime-gpu") if n in installed]
    cmds = [pip(layout, "uninstall", "-y", *remove)] if remove else []
    return [*cmds, pip(layout, "install", *source.pip_args(), "onnxruntime-gpu")]


# ---- shortcuts ------------------------------------------------------------------------------
def _desktop_quote(arg: str) -> str:
    """Quote an Exec argument as the Desktop Entry spec says (and double ``%``)."""
    escaped = re.sub(r'(["`$\\])', r"\\\1", arg).replace("%", "%%")
    return f'"{escaped}"' if re.search(r'[\s"\'\\><~|&;$*?#()`]', arg) else escaped


def desktop_entry(layout: Layout) -> str:
    """The Linux ``studio.desktop`` (freedesktop Desktop Entry 1.4)."""
    exec_line = " ".join(_desktop_quote(a) for a in (str(layout.studio), "gui"))
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Version=1.4\n"
        "Name=Studio\n"
        "GenericName=Image and Video Generator\n"
        f"Comment={DESCRIPTION}\n"
        f"Exec={exec_line}\n"
        f"Icon={layout.icon}\n"
        "Terminal=false\n"
        "Categories=Graphics;2DGraphics;RasterGraphics;\n"
        "Keywords=inpainting;upscale;headshot;lipsync;diffusion;\n"
        "StartupNotify=true\n"
    )


def _ps_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def windows_shortcut_script(
    lnk: PurePath, target: PurePath, arguments: str, icon: PurePath, workdir: PurePath, note: str
) -> str:
    """PowerShell that writes a ``.lnk`` through ``WScript.Shell`` (no extra modules)."""
    return "\n".join(
        [
            "$ErrorActionPreference = 'Stop'",
            f"New-Item -ItemType Directory -Force -Path {_ps_quote(str(lnk.parent))} | Out-Null",
            "$shell = New-Object -ComObject WScript.Shell",
            f"$link = $shell.CreateShortcut({_ps_quote(str(lnk))})",
            f"$link.TargetPath = {_ps_quote(str(target))}",
            f"$link.Arguments = {_ps_quote(arguments)}",
            f"$link.WorkingDirectory = {_ps_quote(str(workdir))}",
            f"$link.IconLocation = {_ps_quote(str(icon) + ',0')}",
            f"$link.Description = {_ps_quote(note)}",
            "$link.Save()",
            "",
        ]
    )


def windows_shortcut_scripts(layout: Layout) -> list[str]:
    """The Start-menu entries: Studio (no console window) and Uninstall Studio."""
    scripts = [
        windows_shortcut_script(
            layout.shortcut,
            layout.python_gui,
            "-m studio gui",
            layout.icon,
            layout.app,
            DESCRIPTION,
        )
    ]
    if layout.uninstall_shortcut is not None:
        scripts.append(
            windows_shortcut_script(
                layout.uninstall_shortcut,
                layout.uninstaller,
                "",
                layout.icon,
                layout.data.parent,  # not the app folder: it is deleted
                "Remove Studio (asks before removing downloaded models)",
            )
        )
    return scripts


def uninstaller_script(target: Target, layout: Layout, base_python: str) -> str:
    """The script that runs the installer's own copy with ``--uninstall``. It starts the
    Python the venv was made from, since uninstalling deletes the venv."""
    script = layout.installer_copy / "install.py"
    if target.system == "windows":
        # One line: cmd reads a batch file line by line, and this one is deleted while it
        # runs; leaving the app folder first lets Windows delete that folder.
        run = f'"{base_python}" "{script}" --uninstall %*'
        return f'@echo off\r\ncd /d "%USERPROFILE%" & {run} & pause & exit /b\r\n'
    quote = lambda s: "'" + str(s).replace("'", "'\"'\"'") + "'"  # noqa: E731
    return f'#!/bin/sh\nexec {quote(base_python)} {quote(script)} --uninstall "$@"\n'
