"""Rendering of Kafka / Elasticsearch / Maven configuration, and where each service keeps its files."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from newsmon.core.settings import ServicesSettings
from newsmon.services.elasticsearch import (
    CLUSTER_NAME,
    ElasticsearchService,
    render_elasticsearch_yml,
    render_jvm_options,
)
from newsmon.services.java import JavaInstall
from newsmon.services.kafka import KafkaService, new_cluster_id, render_log4j2, render_server_properties
from newsmon.services.maven import render_pom, render_settings


def _settings(tmp_path: Path, **overrides: object) -> ServicesSettings:
    return ServicesSettings(state_dir=tmp_path / "state", cache_dir=tmp_path / "cache", **overrides)  # type: ignore[arg-type]


def _no_java() -> JavaInstall:
    raise AssertionError("java must not be looked up while rendering")


def _props(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {k: v for k, v in pairs}


def test_server_properties_are_loopback_only_and_single_node(tmp_path: Path) -> None:
    settings = _settings(tmp_path, kafka_port=19500, kafka_controller_port=19501)
    props = _props(render_server_properties(settings, tmp_path / "data"))
    assert props["process.roles"] == "broker,controller"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19500,CONTROLLER://127.0.0.1:19501"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:19500"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:19501"
    assert props["log.dirs"] == str(tmp_path / "data")
    assert props["auto.create.topics.enable"] == "false"
    for key in ("offsets.topic.replication.factor", "transaction.state.log.replication.factor"):
        assert props[key] == "1"
    assert props["group.initial.rebalance.delay.ms"] == "0"
    assert "0.0.0.0" not in render_server_properties(settings, tmp_path)


def test_log4j2_writes_server_log_into_state_logs(tmp_path: Path) -> None:
    text = render_log4j2(tmp_path / "logs")
    assert f"appender.file.fileName = {tmp_path / 'logs' / 'server.log'}" in text
    assert "rootLogger.appenderRef.file.ref = FILE" in text


def test_cluster_id_looks_like_kafka_uuid() -> None:
    ids = {new_cluster_id() for _ in range(200)}
    assert len(ids) == 200
    for cid in ids:
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}", cid)
        assert not cid.startswith("-")


def test_kafka_paths(tmp_path: Path) -> None:
    settings = _settings(tmp_path, kafka_version="4.1.1")
    kafka = KafkaService(settings, _no_java, progress=lambda _m: None)
    assert kafka.lib_dir == tmp_path / "cache" / "kafka" / "4.1.1" / "lib"
    assert kafka.data_dir == tmp_path / "state" / "kafka" / "data"
    assert kafka.endpoint == "127.0.0.1:9092"
    assert "org.apache.kafka:kafka_2.13:4.1.1" in kafka.coordinates
    assert any("log4j-slf4j-impl" in c for c in kafka.coordinates)
    assert not any("reload4j" in c for c in kafka.coordinates)


def test_elasticsearch_yml_is_valid_yaml_and_loopback(tmp_path: Path) -> None:
    settings = _settings(tmp_path, elasticsearch_port=19600, elasticsearch_transport_port=19601)
    data = yaml.safe_load(render_elasticsearch_yml(settings, tmp_path / "d d", tmp_path / "logs"))
    assert data["http.host"] == data["transport.host"] == data["network.host"] == "127.0.0.1"
    assert data["http.port"] == 19600
    assert data["transport.port"] == 19601
    assert data["discovery.type"] == "single-node"
    assert data["xpack.security.enabled"] is False
    assert data["path.data"] == str(tmp_path / "d d")
    assert data["cluster.name"] == CLUSTER_NAME


def test_jvm_options_fix_heap(tmp_path: Path) -> None:
    text = render_jvm_options("768m", tmp_path)
    assert text.splitlines() == ["-Xms768m", "-Xmx768m", f"-Dnewsmon.state={tmp_path}"]


def test_elasticsearch_layout_non_root(tmp_path: Path) -> None:
    settings = _settings(tmp_path, elasticsearch_version="8.19.4")
    es = ElasticsearchService(settings, _no_java, progress=lambda _m: None, as_root=False)
    assert es.dist_dir == tmp_path / "cache" / "elasticsearch" / "elasticsearch-8.19.4"
    assert es.runtime == tmp_path / "state" / "elasticsearch"
    assert es.data_dir == es.runtime / "data"
    assert es.zip_path == tmp_path / "cache" / "downloads" / "elasticsearch-8.19.4.zip"
    assert es.download_url == (
        "https://repo.maven.apache.org/maven2/org/elasticsearch/distribution/integ-test-zip/"
        "elasticsearch/8.19.4/elasticsearch-8.19.4.zip"
    )


def test_elasticsearch_layout_as_root_moves_runtime_out_of_the_state_dir(tmp_path: Path) -> None:
    settings = _settings(tmp_path, elasticsearch_version="8.19.4")
    base = tmp_path / "varlib"
    es = ElasticsearchService(settings, _no_java, progress=lambda _m: None, as_root=True, root_base=base)
    other = ElasticsearchService(
        _settings(tmp_path / "other"), _no_java, progress=lambda _m: None, as_root=True, root_base=base
    )
    assert es.dist_dir == base / "dist" / "elasticsearch-8.19.4"
    assert es.runtime.parent.parent == base
    assert es.runtime.name == "elasticsearch"
    assert es.runtime != other.runtime  # one runtime tree per state dir
    assert es.process.pid_file.parent == tmp_path / "state" / "elasticsearch"  # pid file stays put


def test_pom_lists_dependencies() -> None:
    root = ET.fromstring(render_pom(["a.b:c:1.0", "x:y_2.13:4.1.1"]))
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    deps = [
        (d.findtext("m:groupId", namespaces=ns), d.findtext("m:artifactId", namespaces=ns))
        for d in root.iterfind("m:dependencies/m:dependency", ns)
    ]
    assert deps == [("a.b", "c"), ("x", "y_2.13")]


@pytest.mark.parametrize("bad", ["a:b", "a:b:c:d", "a::1", ""])
def test_pom_rejects_bad_coordinates(bad: str) -> None:
    with pytest.raises(ValueError):
        render_pom([bad])


def test_maven_settings_mirror_everything(tmp_path: Path) -> None:
    root = ET.fromstring(render_settings("https://mirror.example/maven2/", tmp_path / "repo"))
    ns = {"s": "http://maven.apache.org/SETTINGS/1.0.0"}
    assert root.findtext("s:localRepository", namespaces=ns) == str(tmp_path / "repo")
    assert root.findtext("s:mirrors/s:mirror/s:mirrorOf", namespaces=ns) == "*"
    assert root.findtext("s:mirrors/s:mirror/s:url", namespaces=ns) == "https://mirror.example/maven2"
