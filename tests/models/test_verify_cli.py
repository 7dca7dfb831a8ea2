"""``studio models verify``: says when nothing is installed, and how to repair a damaged model."""

from __future__ import annotations

from studio.cli import main
from studio.services.headless import default_store
from tests.fixtures.install import install_built


def test_verify_with_nothing_installed_says_so(capsys):
    assert main(["models", "verify"]) == 0
    assert "no models installed in" in capsys.readouterr().out


def test_a_changed_file_is_named_with_the_command_that_repairs_it(capsys):
    store = default_store()
    install_built(store, "taesd", lambda d: (d / "config.json").write_text('{"a": 1}'))
    assert main(["models", "verify"]) == 0
    assert capsys.readouterr().out.strip() == "taesd: ok"
    (store.model_dir("taesd") / "config.json").write_text('{"a": 2}')
    assert main(["models", "verify"]) == 1
    out = capsys.readouterr().out
    assert "taesd: changed: config.json" in out
    assert "to repair: studio models download --force taesd" in out
