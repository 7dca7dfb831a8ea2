"""``studio serve`` as a command, and ``--server URL`` through the CLI helper."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
from tests.server.conftest import free_port, recording_context

SRC = Path(__file__).resolve().parents[2] / "src"


def wait_health(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read()
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


def test_studio_serve_runs_jobs_for_a_cli_given_server(model_store, tmp_path, photo):
    from studio.pipelines.live.jobs import LiveFrameRequest, run_frame
    from studio.pipelines.live.session import LiveSettings
    from studio.remote.cli_support import add_server_arguments, cli_context, job_runner
    from studio.remote.client import RemoteRunner

    port, lipsync_port = free_port(), free_port()
    env = dict(
        os.environ,
        STUDIO_HOME=str(tmp_path / "home"),
        STUDIO_MODELS_DIR=str(model_store.root),
        PYTHONPATH=os.pathsep.join([str(SRC), str(SRC.parent)]),
    )
    cmd = [sys.executable, "-m", "studio", "serve", "--port", str(port), "--device", "cpu"]
    cmd += ["--work-dir", str(tmp_path / "work"), "--lipsync-port", str(lipsync_port)]
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_health(url, proc)
        wait_health(f"http://127.0.0.1:{lipsync_port}", proc)

        parser = argparse.ArgumentParser()
        add_server_arguments(parser)
        args = parser.parse_args(["--server", url])
        runner = job_runner(args, "live.frame", run_frame)
        assert isinstance(runner, RemoteRunner)
        local_args = parser.parse_args([])
        assert job_runner(local_args, "live.frame", run_frame) is run_frame

        settings = LiveSettings(prompt="a cat", seed=4, width=64, height=64, optimise="eager")
        remote = runner(LiveFrameRequest(settings, photo), cli_context(args, quiet=True))
        local = run_frame(LiveFrameRequest(settings, photo), recording_context(model_store))
        assert np.array_equal(remote.image, local.image)
        assert (tmp_path / "work" / "jobs").is_dir()  # results live in the given work dir
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output
    assert f"Studio server on http://127.0.0.1:{port}" in output
    assert f"lipsync routes on http://127.0.0.1:{lipsync_port}" in output
    assert "token" not in output  # a local bind needs none, and none is printed
