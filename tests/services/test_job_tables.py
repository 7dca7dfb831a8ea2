"""Every workspace declares its jobs in one table; every entry resolves to a runner."""

from __future__ import annotations

import inspect
import subprocess
import sys
import textwrap

import pytest

from studio.pipelines.jobspec import WORKSPACES, JobSpec, workspace_jobs


def test_every_table_entry_resolves_to_a_callable_runner():
    jobs = workspace_jobs()
    assert {kind.split(".")[0] for kind in jobs} == set(WORKSPACES)
    for kind, spec in jobs.items():
        assert isinstance(spec, JobSpec), kind
        runner = spec.resolve()
        assert callable(runner), kind
        assert len(inspect.signature(runner).parameters) >= 2, kind  # run(request, ctx)


def test_low_memory_modes_come_from_the_tables():
    low = {kind for kind, spec in workspace_jobs().items() if spec.low_memory}
    assert low == {
        "canvas.remove",
        "canvas.fill",
        "canvas.expand",
        "canvas.upscale",
        "headshots.pack",
        "headshots.reroll",
        "live.frame",
        "live.stream",
    }
    # Only a pack's progress must arrive whole: each draft's preview joins the gallery.
    assert [k for k, s in workspace_jobs().items() if s.every_update] == ["headshots.pack"]


def test_importing_the_workspace_packages_imports_no_runner():
    code = textwrap.dedent("""
        import sys
        from studio.pipelines.jobspec import workspace_jobs
        jobs = workspace_jobs()
        runners = {spec.target.partition(':')[0] for spec in jobs.values()}
        print(sorted(m for m in runners if m in sys.modules), 'torch' in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[] False"


def test_a_malformed_target_is_refused():
    with pytest.raises(ValueError, match="module:function"):
        JobSpec("studio.pipelines.canvas.remove").resolve()
    with pytest.raises(AttributeError):
        JobSpec("studio.pipelines.canvas.remove:no_such_function").resolve()
