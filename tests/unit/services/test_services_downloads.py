"""Cached, checksum-verified downloads against a local http.server; archive unpacking; Go's h1 hash."""

from __future__ import annotations

import base64
import hashlib
import http.server
import io
import stat
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsmon.services.archives import extract_archive
from newsmon.services.base import ServiceError
from newsmon.services.downloads import download, fetch_checksum, maven_url
from newsmon.services.gotool import module_zip_h1


class _Server:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.requests: list[str] = []
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args: object, **kwargs: object) -> None:
                super().__init__(*args, directory=str(root), **kwargs)  # type: ignore[arg-type]

            def do_GET(self) -> None:
                server.requests.append(self.path)
                super().do_GET()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[_Server]:
    root = tmp_path / "www"
    root.mkdir()
    srv = _Server(root)
    yield srv
    srv.close()


def _quiet(_message: str) -> None:
    pass


def _publish(root: Path, name: str, data: bytes, *, sha1: bool = True, sha512: bool = False) -> None:
    (root / name).write_bytes(data)
    if sha1:
        (root / f"{name}.sha1").write_text(hashlib.sha1(data).hexdigest())
    if sha512:
        (root / f"{name}.sha512").write_text(hashlib.sha512(data).hexdigest() + "  " + name + "\n")


def test_maven_url() -> None:
    assert (
        maven_url("https://repo/m2/", "org.apache.kafka", "kafka_2.13", "4.1.1", "kafka_2.13-4.1.1.jar")
        == "https://repo/m2/org/apache/kafka/kafka_2.13/4.1.1/kafka_2.13-4.1.1.jar"
    )


def test_download_verifies_and_caches(server: _Server, tmp_path: Path) -> None:
    data = b"x" * 3_000_000
    _publish(server.root, "a.zip", data)
    dest = tmp_path / "cache" / "a.zip"
    messages: list[str] = []
    assert download(f"{server.url}/a.zip", dest, progress=messages.append) == dest
    assert dest.read_bytes() == data
    assert any("100%" in m for m in messages)
    assert not list(dest.parent.glob("*.part*"))
    count = len(server.requests)
    download(f"{server.url}/a.zip", dest, progress=_quiet)
    assert len(server.requests) == count  # cache hit: no request at all


def test_sha512_preferred_over_sha1(server: _Server) -> None:
    _publish(server.root, "b.bin", b"hello", sha1=True, sha512=True)
    assert fetch_checksum(f"{server.url}/b.bin") == ("sha512", hashlib.sha512(b"hello").hexdigest())
    _publish(server.root, "c.bin", b"hello", sha1=True)
    assert fetch_checksum(f"{server.url}/c.bin") == ("sha1", hashlib.sha1(b"hello").hexdigest())
    _publish(server.root, "d.bin", b"hello", sha1=False)
    assert fetch_checksum(f"{server.url}/d.bin") is None


def test_checksum_mismatch_leaves_nothing_behind(server: _Server, tmp_path: Path) -> None:
    (server.root / "bad.zip").write_bytes(b"real content")
    (server.root / "bad.zip.sha1").write_text(hashlib.sha1(b"other").hexdigest())
    dest = tmp_path / "bad.zip"
    with pytest.raises(ServiceError, match="sha1 mismatch"):
        download(f"{server.url}/bad.zip", dest, progress=_quiet, attempts=2)
    assert not dest.exists()
    assert not list(tmp_path.glob("bad.zip.part*"))


def test_missing_file_says_check_version(server: _Server, tmp_path: Path) -> None:
    with pytest.raises(ServiceError, match=r"404.*version"):
        download(f"{server.url}/nope.zip", tmp_path / "nope.zip", progress=_quiet)


def test_unreachable_repository_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ServiceError, match=r"services\.maven_repository"):
        download("http://127.0.0.1:9/x.zip", tmp_path / "x.zip", progress=_quiet, attempts=1, timeout=2)


def test_without_published_checksum_still_downloads(server: _Server, tmp_path: Path) -> None:
    _publish(server.root, "e.bin", b"data", sha1=False)
    messages: list[str] = []
    download(f"{server.url}/e.bin", tmp_path / "e.bin", progress=messages.append)
    assert (tmp_path / "e.bin").read_bytes() == b"data"
    assert any("no checksum published" in m for m in messages)


def _zip_with_script(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("pkg-1.0/", "")
        script = zipfile.ZipInfo("pkg-1.0/bin/run")
        script.external_attr = (stat.S_IFREG | 0o755) << 16
        zf.writestr(script, "#!/bin/sh\necho hi\n")
        conf = zipfile.ZipInfo("pkg-1.0/config/app.yml")
        conf.external_attr = (stat.S_IFREG | 0o600) << 16
        zf.writestr(conf, "a: 1\n")


def test_extract_zip_strips_top_dir_and_keeps_exec_bits(tmp_path: Path) -> None:
    archive = tmp_path / "pkg.zip"
    _zip_with_script(archive)
    target = extract_archive(archive, tmp_path / "out" / "pkg")
    assert (target / "bin" / "run").stat().st_mode & 0o111
    # everything readable by others (an unprivileged service user must read it)
    assert (target / "config" / "app.yml").stat().st_mode & 0o004
    assert stat.S_IMODE(target.stat().st_mode) == 0o755
    assert not list((tmp_path / "out").glob(".pkg.tmp-*"))
    (target / "marker").write_text("kept")
    extract_archive(archive, target)  # already there: untouched
    assert (target / "marker").read_text() == "kept"


def test_extract_tar(tmp_path: Path) -> None:
    archive = tmp_path / "t.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        data = b"#!/bin/sh\n"
        info = tarfile.TarInfo("tool-2/bin/tool")
        info.size = len(data)
        info.mode = 0o755
        tf.addfile(info, io.BytesIO(data))
    target = extract_archive(archive, tmp_path / "tool")
    assert (target / "bin" / "tool").stat().st_mode & 0o111


def test_extract_rejects_path_traversal(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../evil.txt", "x")
    with pytest.raises(ServiceError, match="unsafe path"):
        extract_archive(archive, tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists()


def test_module_zip_h1_matches_go_dirhash_definition(tmp_path: Path) -> None:
    archive = tmp_path / "m.zip"
    files = {
        "example.com/m@v1.0.0/go.mod": b"module example.com/m\n",
        "example.com/m@v1.0.0/a.go": b"package m\n",
    }
    with zipfile.ZipFile(archive, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    summary = "".join(f"{hashlib.sha256(files[n]).hexdigest()}  {n}\n" for n in sorted(files))
    expected = "h1:" + base64.b64encode(hashlib.sha256(summary.encode()).digest()).decode()
    assert module_zip_h1(archive) == expected
