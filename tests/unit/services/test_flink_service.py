"""The Flink job server component without starting it: configs, launcher manifest, command line,
component selection, and Flink's REST API client against a fake REST server."""

from __future__ import annotations

import json
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from newsmon.core.flink_rest import FlinkRest
from newsmon.core.settings import ServicesSettings
from newsmon.services import LocalServices
from newsmon.services.flink import (
    LAUNCHER_CLASS,
    LAUNCHER_SOURCE,
    FlinkJobServer,
    launcher_manifest,
    render_flink_config,
)
from newsmon.services.java import JavaInstall


@pytest.fixture
def settings(tmp_path: Path) -> ServicesSettings:
    return ServicesSettings(state_dir=tmp_path / "state", cache_dir=tmp_path / "cache")


def _java() -> JavaInstall:
    home = Path("/opt/jdk")
    return JavaInstall(home=home, java=home / "bin" / "java", major=17, version="17.0.15", source="test")


def test_flink_config_keeps_every_listener_on_loopback(settings: ServicesSettings) -> None:
    config = dict(
        line.split(": ", 1) for line in render_flink_config(settings).splitlines() if not line.startswith("#")
    )
    for key in ("jobmanager.bind-host", "taskmanager.bind-host", "taskmanager.host", "rest.bind-address"):
        assert json.loads(config[key]) == "127.0.0.1"
    assert json.loads(config["rest.bind-port"]) == "8081-8090"


def test_launcher_manifest_folds_long_class_paths() -> None:
    jars = [f"some-rather-long-artifact-name-{i}-1.2.3.jar" for i in range(40)]
    manifest = launcher_manifest(jars)
    lines = manifest.split("\r\n")
    assert all(len(line.encode()) <= 72 for line in lines)
    assert manifest.endswith("\r\n\r\n")
    unfolded = manifest.replace("\r\n ", "")
    assert f"Main-Class: {LAUNCHER_CLASS}" in unfolded
    class_path = next(line for line in unfolded.split("\r\n") if line.startswith("Class-Path: "))
    assert class_path.split(" ")[1:] == [f"lib/{jar}" for jar in jars]


def test_launcher_source_is_shipped() -> None:
    sources = sorted(p.name for p in LAUNCHER_SOURCE.rglob("*.java"))
    assert sources == ["LoopbackJobServer.java"]


def test_command_line_binds_loopback_and_disables_the_expansion_service(settings: ServicesSettings) -> None:
    server = FlinkJobServer(settings, _java, progress=lambda _m: None)
    argv = server.argv(_java())
    assert "--job-host=127.0.0.1" in argv
    assert "--expansion-port=-1" in argv
    assert "--flink-master=[local]" in argv
    assert f"--job-port={settings.flink_job_port}" in argv
    assert argv[argv.index("-jar") + 1] == str(server.launcher_jar)
    assert server.coordinates[0] == "org.apache.beam:beam-runners-flink-1.19:2.62.0"
    assert server.endpoint == "127.0.0.1:8099"
    assert server.rest_urls[0] == "http://127.0.0.1:8081" and len(server.rest_urls) == 10


def test_flink_is_optional_in_the_default_selection(settings: ServicesSettings) -> None:
    svc = LocalServices(settings, progress=lambda _m: None)
    assert "flink" not in svc._select(None)
    assert svc._select(None, everything=True)[-1] == "flink"
    assert svc._select(["flink"]) == ("flink",)
    status = svc.flink.status(check_health=False)
    assert status.state == "stopped" and "--only flink" in status.detail


def test_built_launcher_jar_is_a_valid_zip(tmp_path: Path) -> None:
    jar = tmp_path / "x.jar"
    with zipfile.ZipFile(jar, "w") as out:
        out.writestr("META-INF/MANIFEST.MF", launcher_manifest(["a.jar"]))
    with zipfile.ZipFile(jar) as back:
        assert b"Class-Path: lib/a.jar" in back.read("META-INF/MANIFEST.MF")


class _FakeFlink(BaseHTTPRequestHandler):
    jobs: ClassVar[dict[str, dict[str, str]]] = {}
    cancelled: ClassVar[list[str]] = []

    def _send(self, payload: Any, status: int = 200) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/jobs/overview":
            self._send({"jobs": list(self.jobs.values())})
        elif self.path == "/jobmanager/thread-dump":
            self._send(
                {"threadInfos": [{"threadName": "main", "stringifiedThreadInfo": '"main" RUNNABLE\n'}]}
            )
        elif self.path == "/taskmanagers":
            self._send({"taskmanagers": [{"id": "tm-1"}]})
        elif self.path == "/taskmanagers/tm-1/thread-dump":
            self._send({"threadInfos": [{"stringifiedThreadInfo": '"Source: Impulse" WAITING\n'}]})
        else:
            self._send({"errors": ["not found"]}, 404)

    def do_PATCH(self) -> None:
        job_id = self.path.split("/")[2].split("?")[0]
        self.cancelled.append(job_id)
        self.jobs[job_id]["state"] = "CANCELED"
        self._send({}, 202)

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def fake_flink() -> Iterator[str]:
    _FakeFlink.jobs = {
        "a1": {"jid": "a1", "name": "newsmon-x-1", "state": "RUNNING"},
        "b2": {"jid": "b2", "name": "other", "state": "RUNNING"},
        "c3": {"jid": "c3", "name": "newsmon-x-1", "state": "FAILED"},
    }
    _FakeFlink.cancelled = []
    server = HTTPServer(("127.0.0.1", 0), _FakeFlink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_rest_cancels_only_the_named_unfinished_job(fake_flink: str) -> None:
    rest = FlinkRest([fake_flink, "127.0.0.1:1"])  # the second endpoint is unreachable: skipped
    assert {j.id for j in rest.jobs()} == {"a1", "b2", "c3"}
    cancelled = rest.cancel("newsmon-x-1", timeout_s=5)
    assert [j.id for j in cancelled] == ["a1"]
    assert _FakeFlink.cancelled == ["a1"]
    assert {j.id: j.state for j in rest.jobs()}["b2"] == "RUNNING"


def test_rest_thread_dumps_cover_jobmanager_and_taskmanagers(fake_flink: str) -> None:
    dumps = FlinkRest([f"http://{fake_flink}"]).thread_dumps()
    assert "JobManager at" in dumps and '"main" RUNNABLE' in dumps
    assert "TaskManager tm-1" in dumps and "Source: Impulse" in dumps
