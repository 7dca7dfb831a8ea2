"""The parts that need no cluster: queue names and priorities, option checking, person
folders, and what a server without a broker answers to the scale-out routes."""

from __future__ import annotations

import argparse

import pytest

from studio.core.errors import BadInput


def test_kinds_go_to_their_workspace_queue_and_priorities_keep_their_order():
    from studio.scaleout.broker import MESSAGE_PRIORITY, priority_queue_keys, queue_for
    from studio.server.jobs import PRIORITIES

    assert queue_for("headshots.pack") == "headshots" and queue_for("canvas.fill") == "canvas"
    order = [MESSAGE_PRIORITY[PRIORITIES[p]] for p in ("interactive", "normal", "batch")]
    assert order == sorted(order) and len(set(order)) == 3  # Redis serves lower first
    assert priority_queue_keys("canvas") == ["canvas", "canvas:3", "canvas:6", "canvas:9"]


def test_celery_settings_are_json_only_late_ack_one_at_a_time():
    from studio.scaleout.broker import make_celery

    conf = make_celery("redis://127.0.0.1:1/0", visibility_timeout=40).conf
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1 and conf.worker_pool == "solo"
    options = conf.broker_transport_options
    assert options["visibility_timeout"] == 40 and options["queue_order_strategy"] == "priority"


def test_worker_queues_are_checked():
    from studio.clis.worker import parse_queues

    assert parse_queues("canvas, lipsync") == ("canvas", "lipsync")
    with pytest.raises(BadInput, match="Queues are some of"):
        parse_queues("canvas,video")
    with pytest.raises(BadInput):
        parse_queues(" , ")


def test_worker_without_a_broker_says_what_to_give(monkeypatch):
    from studio.cli import build_parser

    monkeypatch.delenv("STUDIO_BROKER", raising=False)
    args = build_parser().parse_args(["worker", "--gpu", "1"])
    with pytest.raises(BadInput, match="--broker redis://"):
        args.func(args)


def test_person_folders_take_up_to_three_selfies_each(tmp_path):
    from studio.scaleout.batch_client import person_folders

    for name, files in {"ann": ["a.jpg", "b.png", "c.webp", "d.jpeg"], "bob": ["x.JPG"]}.items():
        (tmp_path / name).mkdir()
        for f in files:
            (tmp_path / name / f).write_bytes(b"x")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("no selfies")
    people = person_folders(tmp_path)
    assert list(people) == ["ann", "bob"]
    assert [p.name for p in people["ann"]] == ["a.jpg", "b.png", "c.webp"]
    with pytest.raises(BadInput, match="no sub-folders with selfies"):
        person_folders(tmp_path / "notes")
    with pytest.raises(BadInput, match="is not a folder"):
        person_folders(tmp_path / "missing")


def test_a_server_without_broker_answers_the_scaleout_routes(tmp_path):
    from fastapi.testclient import TestClient

    from studio.models.catalogue import load_catalogue
    from studio.models.store import ModelStore
    from studio.server.app import create_app
    from studio.server.state import ServerConfig, build_state

    store = ModelStore(tmp_path / "models", load_catalogue())
    state = build_state(ServerConfig(work_dir=tmp_path / "work", device="cpu"), store)
    with TestClient(create_app(state)) as client:
        assert (
            client.post("/v1/batches", json={"kind": "headshots.pack", "packs": []}).status_code
            == 501
        )
        assert client.get("/v1/workers").status_code == 501
        live = client.get("/api/live/endpoint").json()
        assert live["direct"] and live["websocket"].endswith("/api/ws/{user_id}")


def test_batch_cli_needs_the_selfies_folder(tmp_path, capsys):
    from studio.clis.batch import _headshots

    args = argparse.Namespace(
        selfies_dir=tmp_path / "nobody", style="corporate", prompt="", count=4, size=1024,
        top_k=4, no_upscale=False, seed=0, output=tmp_path / "out", no_wait=True,
        server="http://127.0.0.1:9", token=None,
    )  # fmt: skip
    assert _headshots(args) == 2
    assert "is not a folder" in capsys.readouterr().err
