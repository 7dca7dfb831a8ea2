"""The jobs panel over a real service with stand-in runners, driven by clicks and keys:
Clear finished, cancel only where something runs, readable stage names, the ETA from the
second step on, sizes for downloads."""

from __future__ import annotations

import re
import threading

import pytest
from PySide6.QtCore import Qt

from studio.models.catalogue import load_catalogue
from studio.models.store import ModelStore
from studio.services.inference import InferenceService
from studio.services.jobs import JobState
from studio.ui.shell.job_rows import bar_text, stage_name
from studio.ui.shell.jobs_panel import STATE, STATS, JobsPanel
from tests.ui.clicking import click


def stepped(request, ctx):
    """One progress report per released gate: the test decides when each step ends."""
    n = len(request["gates"])
    for i, gate in enumerate(request["gates"]):
        while not gate.wait(0.02):
            ctx.check()  # a cancel ends the wait
        ctx.check()
        ctx.progress(request["stage"], i + 1, n)
    return "done"


def quick(request, ctx):
    ctx.progress("Working", 1, 1)
    return "done"


def fails(request, ctx):
    from studio.core.errors import BadInput

    raise BadInput("The file is not an image.")


@pytest.fixture
def panel_and_service(qtbot, tmp_path):
    store = ModelStore(tmp_path / "models", load_catalogue())
    service = InferenceService(
        store, device="cpu", runners={"t.stepped": stepped, "t.quick": quick, "t.fail": fails}
    )
    panel = JobsPanel([service])
    qtbot.addWidget(panel)
    panel.resize(900, 200)
    panel.show()
    with qtbot.waitSignal(service.device_ready, timeout=30000):
        service.start()
    yield panel, service
    service.begin_shutdown()
    assert service.shutdown(30)


def _gates(n):
    return [threading.Event() for _ in range(n)]


def test_clear_finished_removes_only_ended_rows_and_cancel_shows_where_it_acts(
    qtbot, panel_and_service
):
    panel, service = panel_and_service
    assert not panel.clear_button.isEnabled()  # nothing has ended yet
    done = service.submit("t.quick", {}, label="Quick")
    failed = service.submit("t.fail", {}, label="Broken")
    qtbot.waitUntil(lambda: panel.row_text(failed.id, STATE) == "failed", timeout=10000)
    qtbot.waitUntil(lambda: panel.row_text(done.id, STATE) == "finished", timeout=10000)
    gates = _gates(2)
    with qtbot.waitSignal(service.job_started, timeout=10000):
        running = service.submit("t.stepped", {"gates": gates, "stage": "drafts"}, label="Pack")
    queued = service.submit("t.quick", {}, label="Later")

    # cancel buttons only on the rows that can be cancelled; ended rows show none
    for job in (running, queued):
        assert panel.cancel_button(job.id).isEnabled()
        assert not panel.cancel_button(job.id).icon().isNull()
    for job in (done, failed):
        assert not panel.cancel_button(job.id).isEnabled()
        assert panel.cancel_button(job.id).icon().isNull()
    assert panel.row_text(done.id, STATS).endswith(" s")  # wall time, measured
    assert panel.row_count() == 4

    click(qtbot, panel.clear_button)
    assert panel.row_count() == 2
    assert {panel.tree.topLevelItem(i).text(0) for i in range(2)} == {"Pack", "Later"}
    assert not panel.clear_button.isEnabled()

    # cancel the queued job by its button; its row stays (ended) until cleared
    click(qtbot, panel.cancel_button(queued.id))
    qtbot.waitUntil(lambda: panel.row_text(queued.id, STATE) == "cancelled", timeout=10000)
    assert panel.cancel_button(queued.id).icon().isNull() and panel.clear_button.isEnabled()

    # Delete on the selected running row cancels it (at its next step)
    row = panel.row(running.id)
    rect = panel.tree.visualItemRect(row)
    qtbot.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert panel.tree.selectedItems() == [row]
    with qtbot.waitSignal(service.job_cancelled, timeout=10000):
        qtbot.keyClick(panel.tree, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: panel.row_text(running.id, STATE) == "cancelled")
    assert running.state is JobState.CANCELLED

    # Delete on an ended row removes it
    qtbot.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    kept = panel.row_count()
    qtbot.keyClick(panel.tree, Qt.Key.Key_Delete)
    assert panel.row_count() == kept - 1


def test_eta_appears_from_the_second_step_with_readable_stage_names(qtbot, panel_and_service):
    panel, service = panel_and_service
    gates = _gates(4)
    with qtbot.waitSignal(service.job_started, timeout=10000):
        job = service.submit("t.stepped", {"gates": gates, "stage": "drafts"}, label="Pack")
    bar = panel.progress_bar(job.id)
    assert bar.format() == "starting…"

    with qtbot.waitSignal(service.job_progress, timeout=10000):
        gates[0].set()
    assert bar.format() == "1/4"  # one step measured: no pace yet, no guess
    assert panel.row_text(job.id, STATE) == "running: Drawing drafts"  # not the key "drafts"

    with qtbot.waitSignal(service.job_progress, timeout=10000):
        gates[1].set()
    assert re.fullmatch(r"2/4 · (about \d+ (s|min) left|almost done)", bar.format()), bar.format()
    assert bar.value() == 50

    with qtbot.waitSignal(service.job_finished, timeout=10000):
        gates[2].set()
        gates[3].set()
    assert bar.format() == "finished" and bar.value() == 100


def test_internal_stage_keys_become_words():
    assert stage_name("drafts") == "Drawing drafts"
    assert stage_name("Refining") == "Refining the best"
    assert stage_name("Re-roll") == "Re-rolling a portrait"
    assert stage_name("upscale_tiles") == "Upscale tiles"
    assert stage_name("Loading RealVisXL V4.0") == "Loading RealVisXL V4.0"  # a sentence stays


def test_bar_text_shows_sizes_for_downloads_and_counts_for_endless_jobs():
    assert bar_text("Downloading model.safetensors", 120_000_000, 375_000_000, None) == (
        "120.0 MB / 375.0 MB"
    )
    assert bar_text("Downloading SAM", 1, 3, None) == "1/3"  # files, not bytes
    assert bar_text("Live", 89, 0, None) == "89 done"
    assert bar_text("drafts", 8, 40, 12.4) == "8/40 · about 12 s left"
    assert bar_text("drafts", 8, 40, 600) == "8/40 · about 10 min left"


def test_an_empty_panel_says_what_it_lists_until_a_job_comes_and_after_clearing(
    qtbot, panel_and_service
):
    panel, service = panel_and_service
    assert panel.empty.isVisible() and "No jobs yet" in panel.empty.text()
    assert panel.empty.geometry().width() > 0.8 * panel.tree.viewport().width()
    job = service.submit("t.quick", {}, label="Quick")
    qtbot.waitUntil(lambda: panel.row_count() == 1)
    assert not panel.empty.isVisible()
    qtbot.waitUntil(lambda: panel.row_text(job.id, STATE) == "finished", timeout=10000)
    click(qtbot, panel.clear_button)
    assert panel.row_count() == 0 and panel.empty.isVisible()
