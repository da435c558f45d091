"""The analysis plugin's pure parts: descriptor, cache key, install into a node's ES home (no Maven)."""

from __future__ import annotations

import re
import shutil
import socket
import zipfile
from pathlib import Path

import psutil
import pytest

from newsmon.core.settings import ServicesSettings
from newsmon.services.base import ServiceError
from newsmon.services.elasticsearch import ElasticsearchService
from newsmon.services.es_plugin import (
    ANALYZERS,
    DESCRIPTOR_FILE,
    NAMED_COMPONENTS_FILE,
    PLUGIN_NAME,
    SOURCE_DIR,
    TOKEN_FILTERS,
    AnalysisPlugin,
    lucene_version,
    remove_plugin,
    render_descriptor,
    source_hash,
)
from newsmon.services.java import JavaInstall
from newsmon.services.process import PidRecord

# The only keys PluginDescriptor.readerStableDescriptor (Elasticsearch 8.19) reads; any other key
# makes the node refuse the plugin ("Unknown properties for plugin").
STABLE_DESCRIPTOR_KEYS = {
    "name",
    "description",
    "version",
    "elasticsearch.version",
    "java.version",
    "modular",
}


def _no_java() -> JavaInstall:
    raise AssertionError("no Java (and no Maven build) expected in this test")


def _props(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line)


def _plugin(tmp_path: Path, source_dir: Path = SOURCE_DIR, version: str = "8.19.21") -> AnalysisPlugin:
    return AnalysisPlugin(
        dist_dir=tmp_path / "dist",
        elasticsearch_version=version,
        cache_dir=tmp_path / "cache",
        maven_repository="https://repo.example/maven2",
        java=_no_java,
        progress=lambda _m: None,
        source_dir=source_dir,
    )


def _fake_build(plugin: AnalysisPlugin) -> Path:
    """Put a zip where ``build()`` caches it, so install() never runs Maven."""
    plugin.zip_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(plugin.zip_path, "w") as zf:
        zf.writestr(DESCRIPTOR_FILE, plugin.descriptor())
        zf.writestr(NAMED_COMPONENTS_FILE, "{}")
        zf.writestr(f"{PLUGIN_NAME}.jar", b"jar")
    return plugin.zip_path


def test_descriptor_has_exactly_the_stable_plugin_keys() -> None:
    props = _props(render_descriptor("8.19.21", "0123456789abcdef"))
    assert set(props) == STABLE_DESCRIPTOR_KEYS
    assert props["name"] == PLUGIN_NAME
    assert props["version"] == "0123456789abcdef"
    assert props["elasticsearch.version"] == "8.19.21"
    assert props["java.version"] == "17"
    assert props["modular"] == "false"
    assert all(name in props["description"] for name in ANALYZERS + TOKEN_FILTERS)


def test_java_sources_name_every_analyzer_and_token_filter() -> None:
    sources = "\n".join(p.read_text(encoding="utf-8") for p in SOURCE_DIR.rglob("*.java"))
    assert sorted(re.findall(r'@NamedComponent\("([a-z_]+)"\)', sources)) == sorted(ANALYZERS + TOKEN_FILTERS)
    pom = (SOURCE_DIR / "pom.xml").read_text(encoding="utf-8")
    assert "<maven.compiler.release>17</maven.compiler.release>" in pom  # JAVA_RELEASE in the descriptor


def test_source_hash_is_stable_and_follows_the_sources(tmp_path: Path) -> None:
    copy = tmp_path / "plugin"
    shutil.copytree(SOURCE_DIR, copy, ignore=shutil.ignore_patterns("target"))
    first = source_hash(copy)
    assert first == source_hash(copy) == source_hash(SOURCE_DIR)
    (copy / "target").mkdir()
    (copy / "target" / "x.class").write_bytes(b"build output")
    (copy / "src" / ".editor-swap").write_text("ignored")
    assert source_hash(copy) == first
    stopwords = next(copy.rglob("belarusian_stopwords.txt"))
    stopwords.write_text(stopwords.read_text(encoding="utf-8") + "новае\n", encoding="utf-8")
    assert source_hash(copy) != first


def test_missing_sources_say_how_to_turn_the_plugin_off(tmp_path: Path) -> None:
    with pytest.raises(ServiceError, match="elasticsearch_analysis_plugin: false"):
        source_hash(tmp_path / "nowhere")


def test_cache_key_is_source_hash_and_elasticsearch_version(tmp_path: Path) -> None:
    copy = tmp_path / "plugin"
    shutil.copytree(SOURCE_DIR, copy, ignore=shutil.ignore_patterns("target"))
    plugin = _plugin(tmp_path, copy)
    assert plugin.zip_path == (
        tmp_path / "cache" / "elasticsearch-plugins" / f"{PLUGIN_NAME}-8.19.21-{source_hash(copy)[:16]}.zip"
    )
    assert _plugin(tmp_path, copy, version="8.19.4").zip_path != plugin.zip_path
    (copy / "pom.xml").write_text((copy / "pom.xml").read_text() + "<!-- changed -->\n")
    assert _plugin(tmp_path, copy).zip_path != plugin.zip_path


def test_lucene_version_comes_from_the_distribution(tmp_path: Path) -> None:
    lib = tmp_path / "dist" / "lib"
    lib.mkdir(parents=True)
    with pytest.raises(ServiceError, match="lucene-core"):
        lucene_version(tmp_path / "dist")
    (lib / "lucene-core-9.12.2.jar").write_bytes(b"")
    (lib / "lucene-analysis-common-9.12.2.jar").write_bytes(b"")
    assert lucene_version(tmp_path / "dist") == "9.12.2"


def test_install_is_idempotent_and_replaces_another_build(tmp_path: Path) -> None:
    plugin = _plugin(tmp_path)
    _fake_build(plugin)
    plugins = tmp_path / "home" / "plugins"
    plugins.mkdir(parents=True)
    assert plugin.install(plugins) is True
    installed = plugins / PLUGIN_NAME
    assert sorted(p.name for p in installed.iterdir()) == sorted(
        [DESCRIPTOR_FILE, NAMED_COMPONENTS_FILE, f"{PLUGIN_NAME}.jar"]
    )
    assert plugin.install(plugins) is False  # same build: nothing to do
    (installed / DESCRIPTOR_FILE).write_text(render_descriptor("8.19.21", "an-older-build"))
    (installed / "stale.jar").write_bytes(b"old")
    assert plugin.install(plugins) is True
    assert not (installed / "stale.jar").exists()
    assert [p.name for p in plugins.iterdir()] == [PLUGIN_NAME]  # no staging left inside plugins/
    assert remove_plugin(plugins) is True
    assert remove_plugin(plugins) is False


def test_scanner_missing_from_the_distribution_is_reported(tmp_path: Path) -> None:
    plugin = _plugin(tmp_path)
    (tmp_path / "dist" / "lib" / "tools" / "plugin-cli").mkdir(parents=True)
    with pytest.raises(ServiceError, match=r"elasticsearch-plugin-scanner-\*\.jar.*analysis_plugin: false"):
        plugin._scanner_classpath()


def _service(tmp_path: Path, enabled: bool) -> ElasticsearchService:
    settings = ServicesSettings(
        state_dir=tmp_path / "state", cache_dir=tmp_path / "cache", elasticsearch_analysis_plugin=enabled
    )
    es = ElasticsearchService(settings, _no_java, progress=lambda _m: None, as_root=False)
    for name in ("bin", "lib", "modules"):
        (es.dist_dir / name).mkdir(parents=True, exist_ok=True)
    return es


def test_each_node_gets_its_own_home_linking_the_distribution(tmp_path: Path) -> None:
    es = _service(tmp_path, enabled=True)
    _fake_build(es.analysis_plugin)
    es._prepare_home()
    assert es.es_home == es.runtime / "home"
    for name in ("bin", "lib", "modules"):
        assert (es.es_home / name).resolve() == (es.dist_dir / name).resolve()
    assert (es.es_home / "plugins" / PLUGIN_NAME / DESCRIPTOR_FILE).is_file()
    assert not (es.dist_dir / "plugins").exists()  # the shared distribution is never touched
    es._prepare_home()  # idempotent

    disabled = _service(tmp_path, enabled=False)
    disabled._prepare_home()
    assert list((disabled.es_home / "plugins").iterdir()) == []


def test_setting_defaults_to_on() -> None:
    assert ServicesSettings().elasticsearch_analysis_plugin is True


@pytest.mark.parametrize(
    ("recorded", "hint"), [(None, True), ("0123456789abcdef", False), ("current", False)]
)
def test_status_says_when_the_running_node_lacks_the_analyzers(
    tmp_path: Path, recorded: str | None, hint: bool
) -> None:
    with socket.socket() as sock:  # a port nothing answers on
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    settings = ServicesSettings(
        state_dir=tmp_path / "state", cache_dir=tmp_path / "cache", elasticsearch_port=port
    )
    es = ElasticsearchService(settings, _no_java, progress=lambda _m: None, as_root=False)
    extra = (
        {"version": "8.19.21"} if recorded is None else {"version": "8.19.21", "analysis_plugin": recorded}
    )
    me = psutil.Process()
    record = PidRecord(pid=me.pid, create_time=me.create_time(), argv=["es"], started_at=0.0, extra=extra)
    es.process.pid_file.parent.mkdir(parents=True)
    es.process.pid_file.write_text(record.to_json(), encoding="utf-8")
    if recorded == "current":
        record.extra["analysis_plugin"] = es.analysis_plugin.build_id
        es.process.pid_file.write_text(record.to_json(), encoding="utf-8")
    detail = es.status(check_health=False).detail
    assert ("without the newsmon language analyzers" in detail) is hint
    assert ("newsmon services down --only elasticsearch && newsmon services up" in detail) is (
        recorded == "0123456789abcdef"
    )


def test_a_node_running_an_older_plugin_build_is_reported_with_the_restart(tmp_path: Path) -> None:
    settings = ServicesSettings(state_dir=tmp_path / "state", cache_dir=tmp_path / "cache")
    es = ElasticsearchService(settings, _no_java, progress=lambda _m: None, as_root=False)
    current = es.analysis_plugin.build_id

    def record(build: str) -> PidRecord:
        extra = {"version": "8.19.21", "analysis_plugin": build}
        return PidRecord(pid=1, create_time=0.0, argv=["es"], started_at=0.0, extra=extra)

    assert es.stale_plugin(record(current)) is None
    assert es.stale_plugin(record("")) is None  # started without the plugin: status() says that
    stale = es.stale_plugin(record("0123456789abcdef"))
    assert stale is not None and "0123456789abcdef" in stale and current in stale
    assert "newsmon services down --only elasticsearch && newsmon services up" in stale
    off = ElasticsearchService(
        settings.model_copy(update={"elasticsearch_analysis_plugin": False}), _no_java, as_root=False
    )
    assert off.stale_plugin(record("0123456789abcdef")) is None


def test_up_warns_when_the_reused_node_runs_an_older_plugin_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsmon.services import LocalServices

    settings = ServicesSettings(state_dir=tmp_path / "state", cache_dir=tmp_path / "cache")
    lines: list[str] = []
    services = LocalServices(settings, progress=lines.append)
    es = services.elasticsearch
    me = psutil.Process()
    extra = {"version": settings.elasticsearch_version, "analysis_plugin": "0123456789abcdef"}
    record = PidRecord(pid=me.pid, create_time=me.create_time(), argv=["es"], started_at=0.0, extra=extra)
    es.process.pid_file.parent.mkdir(parents=True)
    es.process.pid_file.write_text(record.to_json(), encoding="utf-8")
    monkeypatch.setattr(es, "healthy", lambda: True)
    services.up(components=("elasticsearch",))
    assert any(line.startswith("WARNING: elasticsearch runs newsmon analysis plugin build") for line in lines)
    assert any("reusing it" in line for line in lines)


def test_failed_maven_build_names_the_plugin_and_the_way_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_bin = tmp_path / "fake-bin"
    fake_bin.mkdir()
    mvn = fake_bin / "mvn"
    mvn.write_text("#!/bin/sh\nprintf '\\033[0m[ERROR] Could not transfer artifact x\\n'\nexit 1\n")
    mvn.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake_bin}:/usr/bin:/bin")
    jdk = tmp_path / "jdk"
    (jdk / "bin").mkdir(parents=True)
    (jdk / "bin" / "javac").write_text("")
    java = JavaInstall(home=jdk, java=jdk / "bin" / "java", major=17, version="17", source="test")
    (tmp_path / "dist" / "lib").mkdir(parents=True)
    (tmp_path / "dist" / "lib" / "lucene-core-9.12.2.jar").write_bytes(b"")
    plugin = AnalysisPlugin(
        dist_dir=tmp_path / "dist",
        elasticsearch_version="8.19.21",
        cache_dir=tmp_path / "cache",
        maven_repository="https://repo.example/maven2",
        java=lambda: java,
        progress=lambda _m: None,
    )
    with pytest.raises(ServiceError) as failure:
        plugin.build()
    message = str(failure.value)
    assert "building the newsmon analysis plugin" in message
    assert "[ERROR] Could not transfer artifact x" in message and "\x1b" not in message
    assert "elasticsearch_analysis_plugin: false" in message
    assert not plugin.zip_path.exists()
    assert [p.name for p in plugin.zip_path.parent.iterdir()] == []  # work dir cleaned up


def test_a_jre_without_javac_is_reported(tmp_path: Path) -> None:
    jre = tmp_path / "jre"
    (jre / "bin").mkdir(parents=True)
    java = JavaInstall(home=jre, java=jre / "bin" / "java", major=17, version="17", source="test")
    plugin = AnalysisPlugin(
        dist_dir=tmp_path / "dist",
        elasticsearch_version="8.19.21",
        cache_dir=tmp_path / "cache",
        maven_repository="https://repo.example/maven2",
        java=lambda: java,
        progress=lambda _m: None,
    )
    with pytest.raises(ServiceError, match=r"needs a JDK.*no javac.*openjdk-17-jdk-headless"):
        plugin.build()
