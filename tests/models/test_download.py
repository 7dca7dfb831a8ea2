"""URL downloads resume, verify and never leave a corrupt file installed; hub path errors."""

from __future__ import annotations

import hashlib
import http.server
import threading
from dataclasses import replace

import pytest

from studio.core.errors import Cancelled, DownloadFailed
from studio.core.progress import CancelToken
from studio.models.catalogue import Catalogue, HubSource, ModelEntry, UrlFile
from studio.models.download import download_model, download_url
from studio.models.store import ModelStore

PAYLOAD = bytes(range(256)) * 8192  # 2 MiB


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves PAYLOAD with Range support; counts requests; can cut a response short."""

    requests: list[str | None] = []
    cut_after: int | None = None

    def do_GET(self):  # noqa: N802
        rng = self.headers.get("Range")
        type(self).requests.append(rng)
        start = int(rng.split("=")[1].rstrip("-")) if rng else 0
        body = PAYLOAD[start:]
        self.send_response(206 if rng else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if type(self).cut_after is not None:
            self.wfile.write(body[: type(self).cut_after])
            type(self).cut_after = None
            self.wfile.flush()
            self.connection.shutdown(2)
            return
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    _Handler.requests = []
    _Handler.cut_after = None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/file.bin"
    httpd.shutdown()


def _file(url, sha=None):
    sha = sha or hashlib.sha256(PAYLOAD).hexdigest()
    return UrlFile(url=url, filename="file.bin", sha256=sha, size_bytes=len(PAYLOAD))


def _store(tmp_path, file):
    entry = ModelEntry(
        id="m",
        name="Test model",
        task="t",
        licence="MIT",
        commercial_use=True,
        size_bytes=len(PAYLOAD),
        vram_bytes=0,
        urls=(file,),
    )
    return ModelStore(tmp_path / "models", Catalogue([entry]))


def test_download_verifies_and_installs(server, tmp_path):
    store = _store(tmp_path, _file(server))
    reports = []
    folder = download_model(store, "m", progress=lambda s, d, t, p=None: reports.append((s, d, t)))
    assert (folder / "file.bin").read_bytes() == PAYLOAD
    assert store.is_installed("m")
    assert reports[-1] == ("Verifying", 1, 1)
    byte_reports = [r for r in reports if r[0].startswith("Downloading")]
    assert byte_reports[-1][1:] == (len(PAYLOAD), len(PAYLOAD))
    assert not list((tmp_path / "models" / ".staging").glob("*"))


def test_interrupted_download_resumes_with_range(server, tmp_path):
    dest = tmp_path / "file.bin"
    _Handler.cut_after = 700_000
    with pytest.raises(DownloadFailed, match="interrupted"):
        download_url(_file(server), dest)
    part = tmp_path / "file.bin.part"
    assert part.exists() and 0 < part.stat().st_size < len(PAYLOAD)
    assert not dest.exists()
    download_url(_file(server), dest)
    assert dest.read_bytes() == PAYLOAD
    assert _Handler.requests[-1] == f"bytes={700_000}-"


def test_corrupt_download_is_deleted_and_not_installed(server, tmp_path):
    store = _store(tmp_path, _file(server, sha="0" * 64))
    with pytest.raises(DownloadFailed, match="corrupt"):
        download_model(store, "m")
    assert not store.is_installed("m")
    assert not list((tmp_path / "models").rglob("file.bin*"))


def test_cancel_stops_download_without_installing(server, tmp_path):
    store = _store(tmp_path, _file(server))
    token = CancelToken()

    def progress(stage, done, total, preview=None):
        if done > 100_000:
            token.cancel()

    with pytest.raises(Cancelled):
        download_model(store, "m", progress=progress, cancel=token)
    assert not store.is_installed("m")


def test_unreachable_url_gives_clear_error(tmp_path):
    store = _store(tmp_path, _file("http://127.0.0.1:9/nothing"))
    with pytest.raises(DownloadFailed, match="Could not reach"):
        download_model(store, "m")
    assert not store.is_installed("m")


def _hub_store(tmp_path):
    entry = ModelEntry(
        id="h",
        name="Hub model",
        task="t",
        licence="MIT",
        commercial_use=True,
        size_bytes=2 * len(PAYLOAD),
        vram_bytes=0,
        hub=HubSource(repo="org/repo", files=("config.json", "sub/w.bin")),
    )
    return ModelStore(tmp_path / "models", Catalogue([entry]))


class _Meta:
    def __init__(self, location, etag, commit="abc123"):
        self.location, self.etag, self.commit_hash, self.size = location, etag, commit, 0


def _git_sha1(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def test_hub_download_verifies_each_file_and_pins_the_commit(server, tmp_path):
    store = _hub_store(tmp_path)
    asked = []

    def meta(url):
        asked.append(url)
        small = url.endswith("config.json")
        etag = _git_sha1(PAYLOAD) if small else hashlib.sha256(PAYLOAD).hexdigest()
        return _Meta(server, f'"{etag}"')

    folder = download_model(store, "h", hub_metadata=meta)
    assert asked[0].endswith("/org/repo/resolve/main/config.json")
    assert asked[1].endswith("/org/repo/resolve/abc123/sub/w.bin")  # same commit for all
    assert (folder / "sub" / "w.bin").read_bytes() == PAYLOAD
    assert store.manifest("h")["commit"] == "abc123"
    assert store.manifest("h")["sha256"].keys() == {"config.json", "sub/w.bin"}


def test_hub_file_that_does_not_match_its_etag_is_not_installed(server, tmp_path):
    store = _hub_store(tmp_path)
    with pytest.raises(DownloadFailed, match="corrupt"):
        download_model(store, "h", hub_metadata=lambda url: _Meta(server, "0" * 64))
    assert not store.is_installed("h")
    with pytest.raises(DownloadFailed, match="corrupt"):
        download_model(store, "h", hub_metadata=lambda url: _Meta(server, "0" * 40))
    assert not store.is_installed("h")


def test_hub_offline_fails_clearly_and_installs_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    store = _hub_store(tmp_path)
    with pytest.raises(DownloadFailed, match="Hugging Face hub"):
        download_model(store, "h")
    assert not store.is_installed("h")


def test_replace_keeps_entries_frozen():
    f = _file("http://x")
    assert replace(f, md5="a").sha256 == f.sha256
