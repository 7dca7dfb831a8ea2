"""The wire codec and the server's name rules, without a server (fast)."""

from __future__ import annotations

import io
import pickle
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import numpy as np
import pytest

from studio.pipelines.canvas.compose import Window
from studio.pipelines.canvas.fill import FillRequest, FillResult
from studio.pipelines.live.session import LiveSettings
from studio.remote.codec import Decoder, Encoder, OutputSlot, WireError, decode_array
from studio.remote.wire import error_from_wire, error_to_wire, prepare_request
from studio.server.uploads import safe_name


def round_trip(obj, path=None, file=None):
    encoder = Encoder(path)
    wire = encoder.encode(obj)
    import json

    wire = json.loads(json.dumps(wire))  # what really crosses: text
    return Decoder(encoder.blobs.__getitem__, file).decode(wire), encoder


def test_requests_and_results_round_trip_exactly():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (20, 30, 3), dtype=np.uint8)
    request = FillRequest(image=image, mask=image[:, :, 0] > 100, prompt="a $t ball", seed=3)
    back, encoder = round_trip(request)
    assert isinstance(back, FillRequest) and back.prompt == "a $t ball" and back.seed == 3
    assert np.array_equal(back.image, image) and back.image.dtype == np.uint8
    assert back.mask.dtype == bool and np.array_equal(back.mask, request.mask)
    assert {k.rsplit(".", 1)[1] for k in encoder.blobs} == {"png", "npy"}
    result = FillResult(
        images=[image],
        seeds=[3],
        window=Window(1, 2, 3, 4),
        alpha=rng.random((4, 4)),
        settings={"$t": "tricky key", "steps": 30, "size": (1, 2), "nan": float("nan")},
    )
    back, _ = round_trip(result)
    assert back.window == Window(1, 2, 3, 4) and back.settings["size"] == (1, 2)
    assert back.settings["$t"] == "tricky key" and np.isnan(back.settings["nan"])
    assert back.alpha.dtype == np.float64 and np.array_equal(back.alpha, result.alpha)
    settings, _ = round_trip(LiveSettings(prompt="x", blocked_terms=("a", "b")))
    assert settings == LiveSettings(prompt="x", blocked_terms=("a", "b"))


def test_only_allow_listed_types_cross():
    class Evil:
        pass

    with pytest.raises(WireError):
        Encoder().encode(Evil())
    with pytest.raises(WireError, match="file path"):
        Encoder().encode(Path("/etc/passwd"))
    with pytest.raises(WireError):
        Encoder().encode(np.array([object()], dtype=object))
    forged = {"$t": "dc", "type": "subprocess:Popen", "v": {"args": "true"}}
    with pytest.raises(WireError, match="unknown type"):
        Decoder(lambda k: b"").decode(forged)
    extra = {"$t": "dc", "type": "studio.pipelines.canvas.compose:Window", "v": {"evil": 1}}
    with pytest.raises(WireError, match="no field"):
        Decoder(lambda k: b"").decode(extra)
    with pytest.raises(WireError, match="invalid name"):
        Decoder(lambda k: b"").decode({"$t": "array", "format": "npy", "blob": "../../x.npy"})
    with pytest.raises(WireError, match="file where none"):
        Decoder(lambda k: b"").decode({"$t": "upload", "sha256": "0" * 64, "name": "a"})
    deep: list = []
    for _ in range(100):
        deep = [deep]
    with pytest.raises(WireError, match="nested"):
        Decoder(lambda k: b"").decode(deep)


def test_arrays_are_checked_before_they_are_read():
    buf = io.BytesIO()
    np.save(buf, np.array([1, 2], dtype=object), allow_pickle=True)
    with pytest.raises(WireError, match="not accepted"):
        decode_array(buf.getvalue(), "npy")
    with pytest.raises(WireError):
        decode_array(pickle.dumps({"a": 1}), "npy")
    header = io.BytesIO()  # a header announcing 2^40 float32 (4 TB) with no data behind it
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (2**20, 2**20)}
    )
    with pytest.raises(WireError, match="too large"):
        decode_array(header.getvalue(), "npy")
    from PIL import Image

    big = io.BytesIO()
    Image.new("L", (1, 1)).save(big, format="PNG")
    data = bytearray(big.getvalue())
    data[16:24] = (40000).to_bytes(4, "big") + (40000).to_bytes(4, "big")  # IHDR width, height
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")  # a valid header claiming
    with pytest.raises(WireError, match="too large"):
        decode_array(bytes(data), "png")


def test_outputs_become_slots_and_server_fields_are_cleared(tmp_path):
    from studio.pipelines.lipsync.render import RenderRequest

    request = RenderRequest(
        tmp_path / "a.png", tmp_path / "s.wav", tmp_path / "out.mp4", cache_dir=tmp_path / "c"
    )
    sent, outputs = prepare_request("lipsync.render", request)
    assert sent.output == OutputSlot("output.mp4") and sent.cache_dir is None
    assert outputs == {"output.mp4": tmp_path / "out.mp4"}  # the slot keeps the extension
    with pytest.raises(WireError, match="WebSocket"):
        prepare_request("live.stream", request)


def test_errors_keep_their_kind_and_message_but_not_the_detail():
    from studio.core.errors import BadInput, ModelMissing, OutOfMemory

    wire = error_to_wire(BadInput("The mask is empty.", "Traceback ... secret path"))
    assert "secret" not in str(wire)
    back = error_from_wire(wire)
    assert type(back) is BadInput and back.user_message == "The mask is empty."
    missing = error_from_wire(error_to_wire(ModelMissing("lama-big", "LaMa", 10**8)))
    assert isinstance(missing, ModelMissing) and missing.model_ids == ["lama-big"]
    assert "LaMa" in missing.user_message
    assert type(error_from_wire(error_to_wire(OutOfMemory("full")))) is OutOfMemory
    crash = error_from_wire(error_to_wire(ZeroDivisionError("x")))
    assert "could not run the job" in crash.user_message


@pytest.mark.parametrize("name", ["../x.wav", "a/b.wav", "..", ".hidden", "a\\b", "x" * 200, ""])
def test_unsafe_names_are_refused(name):
    with pytest.raises(WireError):
        safe_name(name)


def test_safe_names_pass():
    assert safe_name("speech 1.wav") == "speech 1.wav"


def test_remote_and_server_import_without_qt():
    code = textwrap.dedent("""
        import importlib, pkgutil, sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split('.')[0] in ('PySide6', 'shiboken6', 'superqt'):
                    raise ImportError('Qt is not allowed here: ' + name)
        sys.meta_path.insert(0, Block())
        for pkg in ('remote', 'server'):
            mod = importlib.import_module('studio.' + pkg)
            for info in pkgutil.walk_packages(mod.__path__, 'studio.' + pkg + '.'):
                importlib.import_module(info.name)
        import studio.clis.serve
        print('ok')
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_finished_jobs_and_their_files_expire_after_the_ttl(tmp_path):
    from studio.server.jobs import DONE, JobStore

    now = [1000.0]
    store = JobStore(tmp_path / "jobs", ttl_s=60, clock=lambda: now[0])
    finished, running = store.create("canvas.remove"), store.create("canvas.remove")
    (finished.folder / "out" / "result.png").write_bytes(b"x")
    finished.status, finished.finished = DONE, now[0]
    now[0] += 59
    assert store.sweep() == 0 and finished.folder.is_dir()
    now[0] += 2
    assert store.sweep() == 1
    assert not finished.folder.exists() and running.folder.is_dir()
    with pytest.raises(KeyError):
        store.get(finished.id)
    assert store.get(running.id) is running


def test_event_log_replays_and_drops_old_previews_only():
    from studio.server.jobs import KEEP_PREVIEWS, EventLog

    log = EventLog()
    for i in range(KEEP_PREVIEWS + 5):
        log.append("progress", {"done": i, "preview": "jpeg"})
    log.append("done", {"status": "done"}, final=True)
    events = log.read(0, 0)
    assert [e.id for e in events] == list(range(1, KEEP_PREVIEWS + 7))
    assert [e.data["done"] for e in events[:-1]] == list(range(KEEP_PREVIEWS + 5))
    # the last KEEP_PREVIEWS events keep theirs (the final "done" is one of them)
    assert sum(e.data.get("preview") is not None for e in events) == KEEP_PREVIEWS - 1
    assert log.read(KEEP_PREVIEWS + 6, 0) == [] and log.closed
    assert log.append("progress", {}) == KEEP_PREVIEWS + 6  # nothing after the end


def test_expand_and_text_selection_requests_cross_the_wire():
    from studio.pipelines.canvas.expand import ExpandRequest
    from studio.pipelines.canvas.text_select import TextSelectRequest

    image = np.arange(48, dtype=np.uint8).reshape(4, 4, 3)
    expand, _ = round_trip(ExpandRequest(image, right=64, aspect=None, prompt="sea", seed=3))
    assert isinstance(expand, ExpandRequest) and (expand.right, expand.seed) == (64, 3)
    assert np.array_equal(expand.image, image)
    select, _ = round_trip(TextSelectRequest(image, "the car", points=[(1.0, 2.0)], labels=[1]))
    assert isinstance(select, TextSelectRequest) and select.prompt == "the car"
    assert [tuple(p) for p in select.points] == [(1.0, 2.0)] and select.labels == [1]


def test_talking_live_is_never_sent_to_a_server():
    """The microphone is on this computer: the job says so instead of failing remotely."""
    from studio.pipelines.lipsync.talk_live import TalkLiveRequest
    from studio.remote.wire import prepare_request

    with pytest.raises(WireError, match="Talking live runs on this computer"):
        prepare_request("lipsync.talk", TalkLiveRequest.__new__(TalkLiveRequest))
