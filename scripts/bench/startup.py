"""Start-up time: from process start to a shown, usable main window (``python -m scripts.bench
startup [--smoke] [--repeat N]``).

Every start is a fresh ``python -m scripts.bench.startup --child`` process that does what
``studio.ui.shell.app.run_gui`` does (logging, QApplication, settings, model store, the two
service threads, the main window, ``show()``) and reports when the event loop first runs after
the window was shown: from then on the window answers clicks. All starts of one platform share
one temporary ``STUDIO_HOME``, so the first is a first start (no settings, no saved layout)
and the others are warm starts (second run: files in the OS cache, state saved). The clock
starts in this process just before the child is spawned, so interpreter start-up and every
import count.

Measured per platform: ``offscreen`` always, and ``xcb`` under a private Xvfb server when
``Xvfb`` is installed (the server is started once, before the clock). Reported: the first
start (``cold_s``), the median and min of the warm ones (``warm_median_s``, ``warm_min_s``),
and, from the child, where the time went (imports, window construction, first event loop
turn) plus ``device_ready_s``: when the GPU thread had picked the device (it imports torch in
the background; the window does not wait for it). The target is ``warm_median_s`` < 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MARKER = "STARTUP-JSON "
TARGET_S = 2.0
ROOT = Path(__file__).resolve().parents[2]


# ---- the child: one start of the app ----------------------------------------------------------
def child() -> None:
    """Start the app as ``run_gui`` does; print the timings once the window is usable."""
    t0 = float(os.environ["STUDIO_BENCH_T0"])  # wall clock just before the parent spawned us
    marks: dict[str, float] = {"interpreter_s": time.time() - t0}
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from studio.core.logs import setup_logging
    from studio.ui.shell.app import create_main_window

    marks["imports_s"] = time.time() - t0
    setup_logging()
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Studio")
    window = create_main_window()
    marks["window_built_s"] = time.time() - t0
    window.show()
    marks["show_called_s"] = time.time() - t0
    wait_s = float(os.environ.get("STUDIO_BENCH_DEVICE_WAIT_S", "60"))

    def finish() -> None:
        out = {k: round(v, 3) for k, v in marks.items()}
        out["title"] = window.windowTitle()
        out["workspaces"] = window.nav.count()
        out["visible"] = window.isVisible()
        out["platform"] = app.platformName()
        print(MARKER + json.dumps(out), flush=True)
        window.close()  # stops both service threads
        app.quit()

    def usable() -> None:
        marks["usable_s"] = time.time() - t0
        # CPU seconds of all threads so far: less sensitive than wall time to a busy machine
        marks["usable_cpu_s"] = time.process_time()
        if "device_ready_s" in marks or wait_s <= 0:
            finish()
        else:
            QTimer.singleShot(int(wait_s * 1000), finish)  # report anyway if torch hangs

    def device_ready(_info: object) -> None:
        marks["device_ready_s"] = time.time() - t0
        if "usable_s" in marks:
            finish()

    window.gpu.device_ready.connect(device_ready)
    QTimer.singleShot(0, usable)  # runs once the loop has handled the show and first paint
    app.exec()


# ---- the parent: many starts, statistics ------------------------------------------------------
def start_once(env: dict[str, str], timeout_s: float = 180.0) -> dict[str, Any]:
    """One child start; its report plus ``wall_s`` (spawn to report, as the parent saw it)."""
    env = {**env, "STUDIO_BENCH_T0": repr(time.time())}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "scripts.bench.startup", "--child"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    report: dict[str, Any] | None = None
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith(MARKER):
            report = json.loads(line[len(MARKER) :])
            report["wall_s"] = round(time.perf_counter() - t0, 3)
            break
    try:
        _out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        _out, err = proc.communicate()
    if report is None:
        raise RuntimeError(f"the app did not start (exit {proc.returncode}): {err[-2000:]}")
    return report


def measure(platform: str, runs: int, env: dict[str, str]) -> dict[str, Any]:
    """``runs`` starts sharing one STUDIO_HOME: the first is cold, the rest warm."""
    with tempfile.TemporaryDirectory(prefix=f"bench_startup_{platform}_") as home:
        env = {**env, "STUDIO_HOME": home, "QT_QPA_PLATFORM": platform}
        env.pop("STUDIO_MODELS_DIR", None)
        reports = []
        for i in range(runs):
            print(f"bench: startup {platform} {i + 1}/{runs}", file=sys.stderr, flush=True)
            reports.append(start_once(env))
    cold, warm = reports[0], reports[1:] or reports[:1]
    usable = [r["usable_s"] for r in warm]
    return {
        "cold_s": cold["usable_s"],
        "warm_median_s": round(statistics.median(usable), 3),
        "warm_min_s": round(min(usable), 3),
        "warm_runs": len(warm),
        "under_target": statistics.median(usable) < TARGET_S,
        "warm_breakdown_median_s": {
            key: round(statistics.median(r[key] for r in warm), 3)
            for key in (
                "interpreter_s",
                "imports_s",
                "window_built_s",
                "show_called_s",
                "usable_cpu_s",
            )
        },
        "device_ready_median_s": _median_or_none([r.get("device_ready_s") for r in warm]),
        "window": {k: cold[k] for k in ("title", "workspaces", "visible", "platform")},
    }


def _median_or_none(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.median(present), 3) if present else None


class Xvfb:
    """A private X server for the xcb measurements (started before any clock runs)."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.display = ""

    def __enter__(self) -> Xvfb:
        read, write = os.pipe()
        self.proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
            pass_fds=(write,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(write)
        with os.fdopen(read) as fh:
            number = fh.readline().strip()
        if not number:
            raise RuntimeError("Xvfb did not start")
        self.display = f":{number}"
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)


def main(args: argparse.Namespace) -> dict[str, Any]:
    """Entry from ``python -m scripts.bench startup``: the JSON result."""
    runs = 1 + (args.repeat or (1 if args.smoke else 5))  # one cold start, then warm ones
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT / "src"), str(ROOT), env.get("PYTHONPATH", "")) if p
    )
    if args.smoke:  # the device thread need not be waited for: its torch import is slow here
        env["STUDIO_BENCH_DEVICE_WAIT_S"] = "0"
    env.setdefault("STUDIO_BENCH_DEVICE_WAIT_S", "60")
    result: dict[str, Any] = {
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "smoke": args.smoke,
        "target_s": TARGET_S,
    }
    result["offscreen"] = _section(lambda: measure("offscreen", runs, env))
    if args.smoke or shutil.which("Xvfb") is None:
        result["xcb"] = {"skipped": "smoke run" if args.smoke else "Xvfb is not installed"}
    else:

        def under_xvfb() -> dict[str, Any]:
            with Xvfb() as server:
                return measure("xcb", runs, {**env, "DISPLAY": server.display})

        result["xcb"] = _section(under_xvfb)
    return result


def _section(fn: Any) -> dict[str, Any]:
    try:
        return fn()  # type: ignore[no-any-return]
    except Exception as exc:  # noqa: BLE001 - a benchmark reports, it does not crash
        return {"error": f"{type(exc).__name__}: {exc}"}


if __name__ == "__main__":
    if sys.argv[1:] == ["--child"]:
        child()
    else:
        sys.exit("run it as: python -m scripts.bench startup [--smoke] [--repeat N]")
