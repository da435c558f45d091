"""Real local Kafka + Elasticsearch + Prism: start, health, reuse, loopback-only listeners, stop.

Runs a private instance (temporary state dir, free ports) so it never touches services already
running on the default ports; downloads come from the shared cache (``services.cache_dir``), so
only the first run on a machine pays for them. Tests run in file order and share one instance.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from newsmon.core.settings import ServicesSettings
from newsmon.services import LocalServices, ServiceStatus
from newsmon.services.ports import is_loopback, listening_addresses, port_free

pytestmark = pytest.mark.integration


def _free_ports(count: int) -> list[int]:
    socks = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            socks.append(sock)
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for sock in socks:
            sock.close()


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> ServicesSettings:
    kafka, controller, es, transport = _free_ports(4)
    return ServicesSettings(
        state_dir=tmp_path_factory.mktemp("services") / "state",  # under a 0700 pytest dir, like CI clones
        kafka_port=kafka,
        kafka_controller_port=controller,
        elasticsearch_port=es,
        elasticsearch_transport_port=transport,
    )


@pytest.fixture(scope="module")
def config_file(settings: ServicesSettings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("config") / "newsmon.yaml"
    path.write_text(json.dumps({"services": settings.model_dump(mode="json", exclude={"java_home"})}))
    return path


@pytest.fixture(scope="module")
def svc(settings: ServicesSettings) -> Iterator[LocalServices]:
    services = LocalServices(settings)
    yield services
    services.down(purge=True)


def _cli(config_file: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsmon.cli.main", "--config", str(config_file), "services", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _by_name(statuses: list[ServiceStatus]) -> dict[str, ServiceStatus]:
    return {s.name: s for s in statuses}


def _es(url: str, method: str = "GET", body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _tree(pid: int) -> list[psutil.Process]:
    leader = psutil.Process(pid)
    return [leader, *leader.children(recursive=True)]


def test_cold_up_from_another_process_then_reuse(svc: LocalServices, config_file: Path) -> None:
    started = time.monotonic()
    done = _cli(config_file, "up", "--only", "kafka,elasticsearch")
    cold = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert "kafka" in done.stdout and "elasticsearch" in done.stdout
    print(f"\ncold/first up: {cold:.1f}s")

    before = _by_name(svc.status(["kafka", "elasticsearch"]))
    assert all(s.running and s.healthy for s in before.values()), before

    started = time.monotonic()
    after = _by_name(svc.up(components=("kafka", "elasticsearch")))
    warm = time.monotonic() - started
    print(f"warm up (reuse): {warm:.2f}s")
    assert warm < 10
    for name in ("kafka", "elasticsearch"):
        assert after[name].pid == before[name].pid  # reused, not restarted
        assert after[name].healthy


def test_status_cli_exit_code(config_file: Path) -> None:
    ok = _cli(config_file, "status", "--only", "kafka,elasticsearch", "--json", timeout=60)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert {p["name"]: p["state"] for p in json.loads(ok.stdout)} == {
        "kafka": "healthy",
        "elasticsearch": "healthy",
    }


def test_listens_on_loopback_only(svc: LocalServices, settings: ServicesSettings) -> None:
    for st in svc.status(["kafka", "elasticsearch"]):
        assert st.pid is not None
        addresses = listening_addresses(p.pid for p in _tree(st.pid))
        assert addresses, f"{st.name} has no listeners"
        wrong = [(ip, port) for ip, port in addresses if not is_loopback(ip)]
        assert not wrong, f"{st.name} listens on non-loopback addresses: {wrong}"
        ports = {port for _ip, port in addresses}
        if st.name == "kafka":
            assert {settings.kafka_port, settings.kafka_controller_port} <= ports
        else:
            assert {settings.elasticsearch_port, settings.elasticsearch_transport_port} <= ports


def test_kafka_round_trip(svc: LocalServices) -> None:
    from kafka import KafkaConsumer, KafkaProducer
    from kafka.admin import KafkaAdminClient, NewTopic

    topic = f"newsmon.it.{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=svc.kafka_bootstrap)
    try:
        admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        admin.close()
    producer = KafkaProducer(bootstrap_servers=svc.kafka_bootstrap)
    producer.send(topic, b"hello").get(timeout=30)
    producer.close()
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=svc.kafka_bootstrap,
        auto_offset_reset="earliest",
        group_id=f"it-{uuid.uuid4().hex[:6]}",
        consumer_timeout_ms=20_000,
    )
    try:
        values = [msg.value for msg in consumer]
    finally:
        consumer.close()
    assert b"hello" in values


def test_elasticsearch_index_and_search(svc: LocalServices, settings: ServicesSettings) -> None:
    url = svc.elasticsearch_url
    nodes = _es(f"{url}/_nodes/_local?filter_path=nodes.*.version")
    assert [n["version"] for n in nodes["nodes"].values()] == [settings.elasticsearch_version]
    _es(f"{url}/it-docs/_doc/1?refresh=true", "PUT", {"title": "Minsk protest", "lang": "en"})
    hits = _es(f"{url}/it-docs/_search", "POST", {"query": {"match": {"title": "minsk"}}})
    assert hits["hits"]["total"]["value"] == 1
    st = _by_name(svc.status(["elasticsearch"]))["elasticsearch"]
    assert st.pid is not None
    users = {p.username() for p in _tree(st.pid)}
    if os.geteuid() == 0:
        assert users == {"newsmon"}  # Elasticsearch refuses root; it runs unprivileged
    else:
        assert users == {psutil.Process().username()}


def test_prism_binary(svc: LocalServices, settings: ServicesSettings) -> None:
    binary = svc.prism_binary()
    assert binary == settings.cache_dir / "prism" / settings.beam_version / "prism"
    assert os.access(binary, os.X_OK)
    done = subprocess.run([str(binary), "-h"], capture_output=True, text=True, timeout=60, check=False)
    assert "-job_port" in done.stderr + done.stdout
    assert _by_name(svc.status(["prism"]))["prism"].healthy


def test_down_stops_everything(svc: LocalServices, settings: ServicesSettings, config_file: Path) -> None:
    running = _by_name(svc.status(["kafka", "elasticsearch"]))
    procs = [p for st in running.values() if st.pid for p in _tree(st.pid)]
    assert len(procs) >= 3  # kafka JVM, Elasticsearch launcher + server JVM
    assert sorted(svc.down(["kafka", "elasticsearch"])) == ["elasticsearch", "kafka"]
    for proc in procs:
        assert not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE, proc
    for port in (settings.kafka_port, settings.kafka_controller_port, settings.elasticsearch_port):
        assert port_free(port)
    stopped = _by_name(svc.status(["kafka", "elasticsearch"]))
    assert not any(s.running or s.healthy for s in stopped.values())
    assert _cli(config_file, "status", "--only", "kafka,elasticsearch", timeout=60).returncode == 1
    assert svc.down() == []  # idempotent
