"""LocalServices and the CLI without starting anything: component selection, status, errors, ports."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsmon.cli.main import main
from newsmon.cli.services_cmd import render_table
from newsmon.core.settings import ServicesSettings
from newsmon.services import LocalServices, ServiceError, ServiceStatus
from newsmon.services.ports import ensure_ports_free, is_loopback, port_free
from newsmon.services.prism import PATCHES, Patch, PrismBuilder, apply_patches, installed_beam_version


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def settings(tmp_path: Path) -> ServicesSettings:
    return ServicesSettings(
        state_dir=tmp_path / "state",
        cache_dir=tmp_path / "cache",
        kafka_port=_free_port(),
        kafka_controller_port=_free_port(),
        elasticsearch_port=_free_port(),
        elasticsearch_transport_port=_free_port(),
    )


@pytest.fixture
def listener() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def _svc(settings: ServicesSettings) -> LocalServices:
    return LocalServices(settings, progress=lambda _m: None)


def test_endpoints(settings: ServicesSettings) -> None:
    svc = _svc(settings)
    assert svc.kafka_bootstrap == f"127.0.0.1:{settings.kafka_port}"
    assert svc.elasticsearch_url == f"http://127.0.0.1:{settings.elasticsearch_port}"


def test_component_selection(settings: ServicesSettings) -> None:
    svc = _svc(settings)
    assert svc._select(None) == ("kafka", "elasticsearch", "prism")
    assert svc._select(["prism", "kafka"]) == ("kafka", "prism")
    assert svc._select("elasticsearch, kafka") == ("kafka", "elasticsearch")
    with pytest.raises(ServiceError, match=r"unknown component.*zookeeper.*choose from"):
        svc._select(["zookeeper"])


def test_status_of_nothing_running(settings: ServicesSettings) -> None:
    statuses = _svc(settings).status()
    assert [s.name for s in statuses] == ["kafka", "elasticsearch", "prism"]
    for st in statuses:
        assert not st.running and not st.healthy and st.pid is None
    assert [s.state for s in statuses] == ["stopped", "stopped", "missing"]
    assert statuses[1].endpoint == f"http://127.0.0.1:{settings.elasticsearch_port}"


def test_down_when_nothing_runs(settings: ServicesSettings) -> None:
    assert _svc(settings).down() == []


def test_prism_binary_is_cached_per_beam_version(settings: ServicesSettings) -> None:
    version = installed_beam_version() or settings.beam_version
    svc = _svc(settings.model_copy(update={"beam_version": version}))
    binary = settings.cache_dir / "prism" / version / "prism"
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    builder = PrismBuilder(settings.model_copy(update={"beam_version": version}))
    assert not builder.built()  # a binary without the record of its patches is built again
    (binary.parent / "patches").write_text("".join(f"{p.name}\n" for p in PATCHES.get(version, ())))
    assert builder.built()
    assert svc.prism_binary() == binary  # no build: cached
    assert svc.status(["prism"])[0].healthy


def test_a_patch_applies_once_or_the_build_stops_with_what_to_do(tmp_path: Path) -> None:
    source = tmp_path / "go" / "x.go"
    source.parent.mkdir()
    source.write_text("a\n\t\tcase <-done:\nb\n")
    patch = Patch("p", "go/x.go", "\t\tcase <-done:\n", "\t\tcase <-done:\n\t\t\tdone = nil\n")
    apply_patches(tmp_path, (patch,))
    assert source.read_text() == "a\n\t\tcase <-done:\n\t\t\tdone = nil\nb\n"
    with pytest.raises(ServiceError, match=r"found it 0 times; revise newsmon/services/prism\.py PATCHES"):
        apply_patches(tmp_path, (Patch("q", "go/x.go", "nowhere", ""),))


def test_the_prism_patches_match_the_pinned_source_when_it_is_in_the_go_module_cache(
    settings: ServicesSettings,
) -> None:
    module = Path.home() / "go" / "pkg" / "mod" / "github.com" / "apache" / "beam" / "sdks"
    source = module / f"v2@v{settings.beam_version}"
    if not source.is_dir():
        pytest.skip("the Beam Go module is not in ~/go/pkg/mod (it is downloaded by the Prism build)")
    for patch in PATCHES.get(settings.beam_version, ()):
        assert (source / patch.path).read_text().count(patch.old) == 1, patch.name


def test_beam_version_mismatch_is_refused(settings: ServicesSettings) -> None:
    if installed_beam_version() is None:
        pytest.skip("apache-beam not installed")
    svc = _svc(settings.model_copy(update={"beam_version": "0.0.1"}))
    with pytest.raises(ServiceError, match=r"set services\.beam_version to"):
        svc.prism_binary()
    with pytest.raises(ServiceError, match="installed Python apache-beam"):
        svc.up(["prism"])


def test_port_in_use_names_pid_and_setting(listener: int) -> None:
    assert not port_free(listener)
    with pytest.raises(ServiceError) as info:
        ensure_ports_free({"services.kafka_port": listener})
    message = str(info.value)
    assert f"port {listener} in use by" in message
    assert "set services.kafka_port" in message


def test_up_refuses_a_taken_port(settings: ServicesSettings, listener: int) -> None:
    svc = _svc(settings.model_copy(update={"kafka_port": listener}))
    lib = svc.kafka.lib_dir
    lib.mkdir(parents=True)
    (lib / ".complete").write_text("")  # pretend the jars are cached: no Maven run
    with pytest.raises(ServiceError, match=f"kafka: port {listener} in use.*services.kafka_port"):
        svc.up(["kafka"])


@pytest.mark.parametrize(
    ("address", "loopback"),
    [("127.0.0.1", True), ("::1", True), ("::ffff:127.0.0.1", True), ("0.0.0.0", False), ("::", False)],
)
def test_is_loopback(address: str, loopback: bool) -> None:
    assert is_loopback(address) is loopback


def test_render_table() -> None:
    table = render_table(
        [
            ServiceStatus("kafka", True, True, 12, "127.0.0.1:9092", "reachable", "4.1.1", Path("/d")),
            ServiceStatus("prism", False, False, None, "-", "run up", "2.73.0"),
        ]
    )
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["NAME", "STATE", "PID"]
    assert lines[1].split()[:6] == ["kafka", "healthy", "12", "127.0.0.1:9092", "/d", "4.1.1"]
    assert lines[2].split()[:3] == ["prism", "missing", "-"]


def test_cli_status_json_exit_code(
    settings: ServicesSettings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "newsmon.yaml"
    config.write_text(json.dumps({"services": settings.model_dump(mode="json", exclude={"java_home"})}))
    assert main(["--config", str(config), "services", "status", "--json"]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert [p["name"] for p in payload] == ["kafka", "elasticsearch", "prism"]
    assert all(p["healthy"] is False for p in payload)
    assert main(["--config", str(config), "services", "status", "--only", "nosuch"]) == 1
    assert "unknown component" in capsys.readouterr().err
    assert main(["--config", str(config), "services", "logs", "kafka", "--path"]) == 0
    assert capsys.readouterr().out.strip().endswith("server.log")
