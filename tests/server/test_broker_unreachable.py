"""``studio worker`` and ``studio serve --broker`` with no Redis at the address: one clear line
at once (exit 2), not half a minute of silence and a traceback (worker) or a server that
never listens (serve)."""

from __future__ import annotations

import time

import pytest
from tests.server.conftest import free_port

from studio.cli import main

pytest.importorskip("celery")
pytest.importorskip("redis")


@pytest.mark.parametrize("command", [["worker", "--device", "cpu"], ["serve", "--port", "0"]])
def test_no_redis_at_the_broker_address_is_said_at_once(command, tmp_path, capsys):
    if command[0] == "serve":
        command = ["serve", "--port", str(free_port()), "--work-dir", str(tmp_path)]
    url = f"redis://user:secret@127.0.0.1:{free_port()}/0"
    started = time.monotonic()
    assert main([*command, "--broker", url]) == 2
    assert time.monotonic() - started < 20  # the retrying clients took about a minute
    err = capsys.readouterr().err
    assert "No Redis answers at redis://user:***@127.0.0.1:" in err
    assert "secret" not in err and "Traceback" not in err
