"""Downloads keep credentials on their origin, refuse oversized bodies and unverifiable hub
files, and check free disk space first (real local HTTP servers, no mocks of urllib)."""

from __future__ import annotations

import hashlib
import http.server
import threading
from pathlib import Path

import pytest

from studio.core.errors import DownloadFailed
from studio.models.catalogue import Catalogue, HubSource, ModelEntry, UrlFile
from studio.models.download import bytes_missing, check_disk_space, download_model, download_url
from studio.models.store import ModelStore
from tests.fixtures.install import install_built

PAYLOAD = bytes(range(256)) * 8192  # 2 MiB
SIZE = len(PAYLOAD)
SHA = hashlib.sha256(PAYLOAD).hexdigest()
SECRET = {"User-Agent": "Studio", "Authorization": "Bearer secret-token"}


class _Recorder(http.server.BaseHTTPRequestHandler):
    """GET /file.bin: PAYLOAD; /same: redirect here; /away: redirect to ``away`` (another
    server); /nolength: PAYLOAD without Content-Length. Records (path, Authorization)."""

    seen: list[tuple[str, str | None]]
    away = ""

    def do_GET(self):  # noqa: N802
        type(self).seen.append((self.path, self.headers.get("Authorization")))
        if self.path in ("/same", "/away"):
            target = "/file.bin" if self.path == "/same" else type(self).away
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        if self.path != "/nolength":
            self.send_header("Content-Length", str(len(PAYLOAD)))
        self.end_headers()
        self.wfile.write(PAYLOAD)

    def log_message(self, *args):
        pass


def _serve(handler):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


@pytest.fixture
def servers():
    """Two servers on different ports (two origins); A's /away redirects to B."""
    a_cls = type("A", (_Recorder,), {"seen": []})
    b_cls = type("B", (_Recorder,), {"seen": []})
    a, a_url = _serve(a_cls)
    b, b_url = _serve(b_cls)
    a_cls.away = f"{b_url}/file.bin"
    yield a_cls, a_url, b_cls, b_url
    a.shutdown()
    b.shutdown()


def _file(url, size=SIZE):
    return UrlFile(url=url, filename="file.bin", sha256=SHA, size_bytes=size)


def test_authorization_is_not_forwarded_to_another_origin(servers, tmp_path):
    a, a_url, b, _ = servers
    download_url(_file(f"{a_url}/away"), tmp_path / "f.bin", headers=SECRET)
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD
    assert a.seen == [("/away", "Bearer secret-token")]
    assert b.seen == [("/file.bin", None)]  # the other server never saw the token


def test_authorization_follows_a_redirect_on_the_same_origin(servers, tmp_path):
    a, a_url, b, _ = servers
    download_url(_file(f"{a_url}/same"), tmp_path / "f.bin", headers=SECRET)
    assert a.seen == [("/same", "Bearer secret-token"), ("/file.bin", "Bearer secret-token")]
    assert b.seen == []


@pytest.mark.parametrize("path", ["/file.bin", "/nolength"], ids=["announced", "unannounced"])
def test_body_larger_than_expected_is_stopped_and_deleted(servers, tmp_path, path):
    _, a_url, _, _ = servers
    small = _file(f"{a_url}{path}", size=len(PAYLOAD) // 8)  # 256 KiB + 1 MiB tolerance < 2 MiB
    with pytest.raises(DownloadFailed, match="larger than expected"):
        download_url(small, tmp_path / "f.bin")
    assert not list(tmp_path.glob("f.bin*"))


def test_body_within_tolerance_is_accepted(servers, tmp_path):
    _, a_url, _, _ = servers
    download_url(_file(f"{a_url}/nolength", size=len(PAYLOAD) - 1000), tmp_path / "f.bin")
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD


def _store(tmp_path, size, url="http://127.0.0.1:9/unused"):
    entries = [
        ModelEntry("big", "Big model", "t", "MIT", True, size, 0, urls=(_file(url, size),)),
        ModelEntry("small", "Small", "t", "MIT", True, 1000, 0, urls=(_file(url, 1000),)),
    ]
    return ModelStore(tmp_path / "models", Catalogue(entries))


def test_disk_space_is_checked_before_anything_is_fetched(servers, tmp_path):
    a, a_url, _, _ = servers
    store = _store(tmp_path, 10**18, f"{a_url}/file.bin")  # an exabyte: never free
    with pytest.raises(DownloadFailed, match="Not enough free disk space") as info:
        download_model(store, "big")
    assert (
        "1000000000.0 GB" in info.value.user_message and str(store.root) in info.value.user_message
    )
    assert a.seen == []  # refused before any request
    assert not store.is_installed("big")


def test_bytes_missing_counts_only_what_is_still_to_fetch(tmp_path):
    store = _store(tmp_path, 5000)
    assert bytes_missing(store, ["big", "small", "big"]) == 6000
    part = store.staging_dir("big") / "file.bin.part"
    part.write_bytes(b"x" * 1200)  # an interrupted attempt resumes from here
    assert bytes_missing(store, ["big", "small"]) == 4800
    install_built(store, "small", lambda d: (d / "file.bin").write_bytes(b"y"))
    assert bytes_missing(store, ["big", "small"]) == 3800
    assert bytes_missing(store, ["big", "small"], reinstall=True) == 4800
    check_disk_space(store, ["big", "small"])  # a few KB always fit


def _hub_store(tmp_path):
    entry = ModelEntry(
        "h", "Hub model", "t", "MIT", True, len(PAYLOAD), 0, hub=HubSource("org/r", ("w.bin",))
    )
    return ModelStore(tmp_path / "models", Catalogue([entry]))


class _Meta:
    def __init__(self, location, etag, size=0):
        self.location, self.etag, self.commit_hash, self.size = location, etag, "abc", size


@pytest.mark.parametrize("etag", ['W/"1a2b-3c"', "", '"not-a-hash"', "0" * 63])
def test_hub_file_without_a_checkable_etag_is_refused(servers, tmp_path, etag):
    a, a_url, _, _ = servers
    store = _hub_store(tmp_path)
    with pytest.raises(DownloadFailed, match="no checksum"):
        download_model(store, "h", hub_metadata=lambda url: _Meta(f"{a_url}/file.bin", etag))
    assert not store.is_installed("h")
    assert a.seen == []


def test_hub_file_larger_than_the_hub_says_is_stopped(servers, tmp_path):
    _, a_url, _, _ = servers
    store = _hub_store(tmp_path)
    meta = _Meta(f"{a_url}/nolength", f'"{SHA}"', size=1000)
    with pytest.raises(DownloadFailed, match="larger than expected"):
        download_model(store, "h", hub_metadata=lambda url: meta)
    assert not store.is_installed("h")
    assert not list(store.root.rglob("w.bin*"))


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_disk_filling_up_during_a_download_fails_clearly(servers, tmp_path):
    _, a_url, _, _ = servers
    (tmp_path / "f.bin.part").symlink_to("/dev/full")  # every write: "No space left"
    with pytest.raises(DownloadFailed, match="Could not save file.bin .*No space left"):
        download_url(_file(f"{a_url}/file.bin"), tmp_path / "f.bin")
    assert not (tmp_path / "f.bin").exists()
