"""The installer's decisions as pure functions of a simulated machine: Linux and Windows
layouts, with and without an NVIDIA GPU, for several drivers; and the files it writes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest
from studio_install import plan
from studio_install.cli import check_python, python_advice
from studio_install.gpu import Gpu, choose_torch, cuda_for_driver, parse_nvidia_smi
from studio_install.journal import Journal
from studio_install.layout import Target, layout_for, models_dir
from studio_install.uninstall import uninstall, uninstall_plan

LINUX = Target("linux", PurePosixPath("/home/ann"), {})
WIN_ENV = {
    "LOCALAPPDATA": r"C:\Users\Ann\AppData\Local",
    "APPDATA": r"C:\Users\Ann\AppData\Roaming",
}
WINDOWS = Target("windows", PureWindowsPath(r"C:\Users\Ann"), WIN_ENV)


def _header(driver: str, cuda: str, name: str = "NVIDIA GeForce RTX 4090") -> str:
    """The top of ``nvidia-smi``'s table, as drivers print it."""
    return (
        "+-----------------------------------------------------------------------------+\n"
        f"| NVIDIA-SMI {driver}    Driver Version: {driver}    CUDA Version: {cuda}     |\n"
        "|-------------------------------+----------------------+----------------------+\n"
        f"|   0  {name}      Off  | 00000000:01:00.0  On |                  Off |\n"
    )


# ---- layouts ---------------------------------------------------------------------------------
def test_linux_layout_follows_xdg_defaults():
    lay = layout_for(LINUX)
    assert lay.app == PurePosixPath("/home/ann/.local/share/Studio/app")
    assert lay.python == PurePosixPath("/home/ann/.local/share/Studio/app/venv/bin/python")
    assert lay.studio == lay.venv / "bin" / "studio"
    assert lay.shortcut == PurePosixPath("/home/ann/.local/share/applications/studio.desktop")
    assert lay.icon.name == "studio.png" and lay.uninstaller.name == "uninstall.sh"
    assert lay.default_models == PurePosixPath("/home/ann/.local/share/Studio/models")
    assert lay.owned == (
        PurePosixPath("/home/ann/.config/Studio"),
        PurePosixPath("/home/ann/.local/state/Studio"),
        PurePosixPath("/home/ann/.cache/Studio"),
    )
    assert lay.uninstall_shortcut is None


def test_linux_layout_honours_xdg_variables():
    env = {"XDG_DATA_HOME": "/data/ann", "XDG_CONFIG_HOME": "/cfg", "XDG_CACHE_HOME": "/c"}
    lay = layout_for(Target("linux", PurePosixPath("/home/ann"), env))
    assert lay.app == PurePosixPath("/data/ann/Studio/app")
    assert lay.shortcut == PurePosixPath("/data/ann/applications/studio.desktop")
    assert lay.config == PurePosixPath("/cfg/Studio") and lay.cache == PurePosixPath("/c/Studio")


def test_windows_layout_uses_localappdata_and_the_start_menu():
    lay = layout_for(WINDOWS)
    assert lay.app == PureWindowsPath(r"C:\Users\Ann\AppData\Local\Studio\app")
    assert lay.python == PureWindowsPath(
        r"C:\Users\Ann\AppData\Local\Studio\app\venv\Scripts\python.exe"
    )
    assert lay.python_gui.name == "pythonw.exe" and lay.studio.name == "studio.exe"
    programs = PureWindowsPath(
        r"C:\Users\Ann\AppData\Roaming\Microsoft\Windows\Start Menu\Programs"
    )
    assert lay.shortcut == programs / "Studio.lnk"
    assert lay.uninstall_shortcut == programs / "Uninstall Studio.lnk"
    assert lay.icon.name == "studio.ico" and lay.uninstaller.name == "uninstall.bat"
    assert lay.config == lay.data and lay.logs == lay.data / "Logs" and lay.owned == ()


def test_windows_layout_without_localappdata_falls_back_to_the_profile():
    lay = layout_for(Target("windows", PureWindowsPath(r"D:\Profiles\bo"), {}))
    assert lay.app == PureWindowsPath(r"D:\Profiles\bo\AppData\Local\Studio\app")


def test_studio_home_moves_everything():
    lay = layout_for(Target("linux", PurePosixPath("/home/ann"), {"STUDIO_HOME": "/srv/s"}))
    assert lay.app == PurePosixPath("/srv/s/data/app")
    assert set(lay.owned) == {PurePosixPath(f"/srv/s/{n}") for n in ("config", "logs", "cache")}


def test_linux_layout_matches_the_apps_own_folders(tmp_path, monkeypatch):
    from studio.core import paths

    monkeypatch.delenv("STUDIO_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(var, raising=False)
    lay = layout_for(Target("linux", tmp_path, {}))
    assert (lay.data, lay.config, lay.logs, lay.cache) == (
        paths.data_dir(),
        paths.config_dir(),
        paths.log_dir(),
        paths.cache_dir(),
    )
    assert lay.default_models == paths.default_models_dir()


def test_models_dir_settings_then_env_then_default():
    lay = layout_for(LINUX)
    assert models_dir(LINUX, lay, None) == lay.default_models
    env = Target("linux", LINUX.home, {"STUDIO_MODELS_DIR": "/big/models"})
    assert models_dir(env, lay, "{}") == PurePosixPath("/big/models")
    assert models_dir(env, lay, '{"models_dir": "/ssd/m"}') == PurePosixPath("/ssd/m")
    assert models_dir(LINUX, lay, "not json") == lay.default_models


# ---- GPU and the PyTorch build ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("driver", "cuda", "cap", "tag", "compat"),
    [
        ("580.65.06", "13.0", "9.0", "cu130", False),  # H100, current driver
        ("570.86.15", "12.8", "8.9", "cu128", False),  # RTX 4090
        ("572.16", "12.8", "12.0", "cu128", False),  # RTX 5090 on Windows
        ("560.94", "12.6", "8.6", "cu126", False),  # RTX 3060 on Windows
        ("550.54.14", "12.4", "8.6", "cu126", True),  # older 12.x driver
        ("535.104.05", "12.2", "7.5", "cu126", True),
        ("580.95.05", "13.0", "6.1", "cu128", False),  # GTX 1080: CUDA 13 dropped Pascal
    ],
)
def test_the_driver_picks_the_cuda_index(driver, cuda, cap, tag, compat):
    query = f"NVIDIA Card, {driver}, 24564, {cap}\n"
    gpu = parse_nvidia_smi(_header(driver, cuda), query)
    assert gpu is not None and gpu.driver == driver and gpu.compute_cap is not None
    choice = choose_torch(gpu)
    assert choice.tag == tag and choice.cuda
    assert choice.index_url == f"https://download.pytorch.org/whl/{tag}"
    assert ("minor-version compatibility" in choice.reason) == compat
    assert driver in choice.reason


def test_no_gpu_means_the_cpu_build_and_says_so():
    assert parse_nvidia_smi("", "") is None
    choice = choose_torch(None)
    assert choice.tag == "cpu" and not choice.cuda
    assert choice.index_url.endswith("/whl/cpu")
    assert "No NVIDIA GPU" in choice.reason and "CPU build" in choice.reason


def test_a_driver_too_old_for_cuda_12_gets_the_cpu_build_and_advice():
    gpu = parse_nvidia_smi(_header("470.182.03", "11.4"), "")
    assert gpu is not None and gpu.cuda == (11, 4)
    choice = choose_torch(gpu)
    assert choice.tag == "cpu" and "too old" in choice.reason and "525" in choice.reason


def test_header_without_cuda_version_uses_the_driver_table():
    header = "| NVIDIA-SMI 570.86.15    Driver Version: 570.86.15 |\n"
    # an old nvidia-smi rejects compute_cap; the installer retries without it
    gpu = parse_nvidia_smi(header, "NVIDIA RTX A4000, 570.86.15, 16376\n")
    assert gpu == Gpu("NVIDIA RTX A4000", "570.86.15", (12, 8), 16376, None)
    assert choose_torch(gpu).tag == "cu128"
    assert cuda_for_driver("581.57") == (13, 0) and cuda_for_driver("390.1") is None


# Captured on the project's GPU machine (2026-12-02): ``nvidia-smi | head -12`` and the query.
H200_HEADER = """\
Wed Dec  2 01:22:31 2026
+-----------------------------------------------------------------------------------------+
| NVIDIA-SMI 580.159.04             Driver Version: 580.159.04     CUDA Version: 13.0     |
+-----------------------------------------+------------------------+----------------------+
| GPU  Name                 Persistence-M | Bus-Id          Disp.A | Volatile Uncorr. ECC |
| Fan  Temp   Perf          Pwr:Usage/Cap |           Memory-Usage | GPU-Util  Compute M. |
|                                         |                        |               MIG M. |
|=========================================+========================+======================|
|   0  NVIDIA H200                    On  |   00000000:00:06.0 Off |                    0 |
| N/A   40C    P0            108W /  700W |       0MiB / 143771MiB |      0%      Default |
"""
H200_QUERY = "NVIDIA H200, 580.159.04, 143771, 9.0\n"


def test_real_h200_output_picks_cu130():
    gpu = parse_nvidia_smi(H200_HEADER, H200_QUERY)
    assert gpu == Gpu("NVIDIA H200", "580.159.04", (13, 0), 143771, (9, 0))
    assert choose_torch(gpu).tag == "cu130"
    header_only = parse_nvidia_smi(H200_HEADER, "")
    assert header_only is not None and header_only.name == "NVIDIA H200"


def test_header_alone_names_the_card():
    gpu = parse_nvidia_smi(_header("580.65.06", "13.0", "NVIDIA H200"), "")
    assert gpu is not None and gpu.name == "NVIDIA H200" and gpu.cuda == (13, 0)


def test_torch_install_command_uses_the_chosen_index():
    lay = layout_for(LINUX)
    choice = choose_torch(parse_nvidia_smi(_header("570.86.15", "12.8"), ""))
    cmd = plan.torch_install(lay, choice)
    assert cmd[:3] == [str(lay.python), "-m", "pip"]
    assert cmd[-4:] == [
        "torch",
        "torchvision",
        "--index-url",
        "https://download.pytorch.org/whl/cu128",
    ]
    assert plan.torch_install(lay, choice, "http://mirror/whl")[-1] == "http://mirror/whl"


def test_existing_torch_is_kept_only_when_it_fits():
    cpu, cuda = choose_torch(None), choose_torch(parse_nvidia_smi(_header("570.1", "12.8"), ""))
    cuda_build_on_cpu = {"version": "2.14.1+cu130", "cuda": "13.0", "available": False}
    assert plan.torch_satisfied(cuda_build_on_cpu, cpu)  # a CUDA build also runs on the CPU
    assert not plan.torch_satisfied(cuda_build_on_cpu, cuda)  # a GPU it cannot use
    assert plan.torch_satisfied({**cuda_build_on_cpu, "available": True}, cuda)
    assert not plan.torch_satisfied(None, cpu)


# ---- Studio and onnxruntime ------------------------------------------------------------------
def test_studio_install_commands_name_the_index():
    lay = layout_for(LINUX)
    source = plan.Source("studio", "https://pypi.example/simple", ("/wheels",), False, False)
    deps, app = plan.studio_install(lay, source)
    assert deps[-6:] == [
        "--upgrade",
        "--index-url",
        "https://pypi.example/simple",
        "--find-links",
        "/wheels",
        "studio",
    ]
    assert "--force-reinstall" in app and "--no-deps" in app and app[-1] == "studio"
    offline = plan.Source("/dl/studio-0.2.0-py3-none-any.whl", no_index=True, no_deps=True)
    (only,) = plan.studio_install(lay, offline)
    assert "--no-index" in only and only[-1] == "/dl/studio-0.2.0-py3-none-any.whl"


def test_local_wheel_is_the_newest_studio_wheel():
    names = [
        "studio-0.9.1-py3-none-any.whl",
        "studio-0.10.0-py3-none-any.whl",
        "install.py",
        "studiox-9.0-py3-none-any.whl",
    ]
    assert plan.local_wheel(names) == "studio-0.10.0-py3-none-any.whl"
    assert plan.local_wheel(["README.md"]) is None


def test_default_package_wheel_then_checkout_then_index():
    here = PureWindowsPath(r"C:\Downloads\studio\installers")
    wheels = ["studio-0.1.0-py3-none-any.whl"]
    assert plan.package_spec(here, wheels, True) == str(here / wheels[0])
    assert plan.package_spec(here, [], True) == r"C:\Downloads\studio"
    assert plan.package_spec(here, [], False) == "studio"


def test_onnxruntime_gpu_build_replaces_the_cpu_build_only_with_cuda():
    lay = layout_for(WINDOWS)
    source = plan.Source()
    cpu, cuda = choose_torch(None), choose_torch(parse_nvidia_smi(_header("572.16", "12.8"), ""))
    assert plan.onnxruntime_commands(lay, cpu, {"onnxruntime"}, source) == []
    uninstall_cpu, install_gpu = plan.onnxruntime_commands(lay, cuda, {"onnxruntime"}, source)
    assert uninstall_cpu[-3:] == ["uninstall", "-y", "onnxruntime"]
    assert install_gpu[-1] == "onnxruntime-gpu" and install_gpu[0].endswith("python.exe")
    both = plan.onnxruntime_commands(lay, cuda, {"onnxruntime", "onnxruntime-gpu"}, source)
    assert both[0][-2:] == ["onnxruntime", "onnxruntime-gpu"] and both[1][-1] == "onnxruntime-gpu"
    assert plan.onnxruntime_commands(lay, cuda, {"onnxruntime-gpu"}, source) == []


# ---- shortcuts and the uninstaller -----------------------------------------------------------
def test_desktop_entry_quotes_paths_and_passes_desktop_file_validate(tmp_path):
    lay = layout_for(Target("linux", PurePosixPath("/home/ann o'neil"), {}))
    text = plan.desktop_entry(lay)
    assert 'Exec="/home/ann o\'neil/.local/share/Studio/app/venv/bin/studio" gui\n' in text
    assert f"Icon={lay.icon}\n" in text and "Terminal=false\n" in text
    validate = shutil.which("desktop-file-validate")
    if validate is None:
        pytest.skip("desktop-file-validate is not installed (apt install desktop-file-utils)")
    path = tmp_path / "studio.desktop"
    path.write_text(text)
    out = subprocess.run([validate, str(path)], capture_output=True, text=True)
    assert out.returncode == 0 and not out.stdout.strip(), out.stdout


def test_windows_shortcut_script_makes_a_start_menu_link():
    lay = layout_for(Target("windows", PureWindowsPath(r"C:\Users\O'Hara"), {}))
    app, remove = plan.windows_shortcut_scripts(lay)
    programs = r"C:\Users\O''Hara\AppData\Roaming\Microsoft\Windows\Start Menu\Programs"
    assert "$shell = New-Object -ComObject WScript.Shell" in app
    assert f"$link = $shell.CreateShortcut('{programs}\\Studio.lnk')" in app
    assert (
        r"$link.TargetPath = 'C:\Users\O''Hara\AppData\Local\Studio\app\venv\Scripts\pythonw.exe'"
        in app
    )
    assert "$link.Arguments = '-m studio gui'" in app
    assert r"$link.IconLocation = 'C:\Users\O''Hara\AppData\Local\Studio\app\studio.ico,0'" in app
    assert f"New-Item -ItemType Directory -Force -Path '{programs}'" in app
    assert app.strip().endswith("$link.Save()")
    assert "Uninstall Studio.lnk" in remove and r"app\uninstall.bat'" in remove
    assert r"$link.WorkingDirectory = 'C:\Users\O''Hara\AppData\Local'" in remove


def test_uninstaller_scripts_run_the_installer_copy():
    win = plan.uninstaller_script(WINDOWS, layout_for(WINDOWS), r"C:\Python312\python.exe")
    assert win == (
        '@echo off\r\ncd /d "%USERPROFILE%" & "C:\\Python312\\python.exe" '
        '"C:\\Users\\Ann\\AppData\\Local\\Studio\\app\\installer\\install.py" --uninstall %* '
        "& pause & exit /b\r\n"
    )
    sh = plan.uninstaller_script(LINUX, layout_for(LINUX), "/usr/bin/python3")
    assert sh == (
        "#!/bin/sh\nexec '/usr/bin/python3' "
        "'/home/ann/.local/share/Studio/app/installer/install.py' --uninstall \"$@\"\n"
    )


def test_uninstall_plan_keeps_models_and_the_users_packs():
    lay = layout_for(WINDOWS)
    todo = uninstall_plan(
        lay, lay.default_models, ["app", "models", "headshots", "settings.json", "Logs", "Cache"]
    )
    assert set(todo.remove) == {
        lay.app,
        lay.shortcut,
        lay.uninstall_shortcut,
        lay.data / "settings.json",
        lay.data / "Logs",
        lay.data / "Cache",
    }
    linux = layout_for(LINUX)
    todo = uninstall_plan(linux, PurePosixPath("/ssd/models"), ["app", "models", "headshots"])
    assert linux.data / "models" in todo.remove  # not the store in use: an old leftover
    assert set(linux.owned) <= set(todo.remove) and linux.shortcut in todo.remove
    assert linux.data / "headshots" not in todo.remove


@pytest.mark.parametrize("answer", [True, False])
def test_uninstall_asks_before_removing_models(tmp_path, answer):
    lay = layout_for(Target("linux", tmp_path, {}))
    for folder in (lay.venv, lay.default_models / "taesd", Path(lay.config), Path(lay.logs)):
        Path(folder).mkdir(parents=True)
    (Path(lay.default_models) / "taesd" / "w.safetensors").write_bytes(b"x" * 10)
    Path(lay.shortcut).parent.mkdir(parents=True)
    Path(lay.shortcut).write_text("[Desktop Entry]\n")
    asked = []
    uninstall(lay, Path(lay.default_models), None, lambda q: asked.append(q) or answer)
    assert len(asked) == 1 and str(lay.default_models) in asked[0]
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert left == ([] if answer else [".local/share/Studio/models/taesd/w.safetensors"])
    assert not Path(lay.app).exists() and not Path(lay.shortcut).exists()
    assert not Path(lay.config).exists() and not Path(lay.logs).parent.exists()


# ---- journal and Python ----------------------------------------------------------------------
def test_journal_resumes_until_complete_then_starts_over(tmp_path):
    path = tmp_path / "install-state.json"
    first = Journal(path, {"torch": "cpu"})
    assert not first.resumed
    first.mark("venv")
    first.mark("torch")
    again = Journal(path, {"torch": "cpu"})
    assert again.resumed and again.is_done("torch") and not again.is_done("studio")
    assert not Journal(path, {"torch": "cu128"}).is_done("venv")  # another plan: start over
    again.complete()
    assert not Journal(path, {"torch": "cpu"}).is_done("venv")  # an update runs every step


def test_python_check_accepts_this_python_and_explains_otherwise(tmp_path):
    assert check_python(sys.executable, LINUX) is None
    problem = check_python(str(tmp_path / "no-python"), LINUX)
    assert problem and "python3-venv" in problem
    assert "winget install" in python_advice(WINDOWS)
