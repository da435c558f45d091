"""Java discovery order, version parsing and the what-to-install error, with fake JVM directories."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsmon.services.base import ServiceError
from newsmon.services.java import find_java, java_major, probe_java_home


def fake_jvm(root: Path, name: str, version: str, *, release: bool = True) -> Path:
    home = root / name
    (home / "bin").mkdir(parents=True)
    java = home / "bin" / "java"
    # without a release file, discovery runs `java -version`, which prints to stderr
    java.write_text(f"#!/bin/sh\necho 'openjdk version \"{version}\" 2024-01-01' >&2\n")
    java.chmod(0o755)
    if release:
        (home / "release").write_text(f'IMPLEMENTOR="Test"\nJAVA_VERSION="{version}"\n')
    return home


@pytest.mark.parametrize(
    ("text", "major"),
    [("17.0.15", 17), ("1.8.0_412", 8), ("25", 25), ("21.0.2+13-LTS", 21), ("11", 11), ("junk", 0)],
)
def test_java_major(text: str, major: int) -> None:
    assert java_major(text) == major


def test_probe_reads_release_file_or_runs_java(tmp_path: Path) -> None:
    with_release = probe_java_home(fake_jvm(tmp_path, "a", "17.0.15"), "t")
    without = probe_java_home(fake_jvm(tmp_path, "b", "21.0.1", release=False), "t")
    assert with_release is not None and with_release.major == 17
    assert without is not None and without.major == 21 and without.version == "21.0.1"
    assert probe_java_home(tmp_path / "missing", "t") is None


def test_explicit_java_home_wins(tmp_path: Path) -> None:
    jvms = tmp_path / "jvm"
    fake_jvm(jvms, "java-17", "17.0.1")
    chosen = fake_jvm(tmp_path, "custom", "21.0.3")
    found = find_java(chosen, environ={"JAVA_HOME": str(jvms / "java-17")}, system_dirs=[jvms])
    assert found.home == chosen
    assert found.source == "services.java_home"


def test_explicit_java_home_too_old_is_an_error_not_ignored(tmp_path: Path) -> None:
    old = fake_jvm(tmp_path, "jdk8", "1.8.0_412")
    fake_jvm(tmp_path / "jvm", "java-17", "17.0.1")
    with pytest.raises(ServiceError, match="Java 17\\+ is required"):
        find_java(old, environ={}, system_dirs=[tmp_path / "jvm"])
    with pytest.raises(ServiceError, match="no bin/java"):
        find_java(tmp_path / "nothing", environ={}, system_dirs=[])


def test_java_home_env_then_system_dirs(tmp_path: Path) -> None:
    jvms = tmp_path / "jvm"
    fake_jvm(jvms, "temurin-25", "25.0.1")
    fake_jvm(jvms, "java-17", "17.0.15")
    fake_jvm(jvms, "java-11", "11.0.2")
    env_home = fake_jvm(tmp_path, "env21", "21.0.5")
    assert find_java(environ={"JAVA_HOME": str(env_home)}, system_dirs=[jvms]).home == env_home
    # too-old $JAVA_HOME is skipped; the lowest suitable system JVM (most compatible LTS) is chosen
    old = fake_jvm(tmp_path, "env11", "11.0.1")
    found = find_java(environ={"JAVA_HOME": str(old), "PATH": ""}, system_dirs=[jvms])
    assert found.home == (jvms / "java-17").resolve()
    assert found.source == "system"


def test_symlinked_duplicates_are_seen_once(tmp_path: Path) -> None:
    jvms = tmp_path / "jvm"
    real = fake_jvm(jvms, "java-17-openjdk-amd64", "17.0.15")
    (jvms / "java-1.17.0-openjdk-amd64").symlink_to(real)
    assert find_java(environ={"PATH": ""}, system_dirs=[jvms]).home == real.resolve()


def test_java_on_path(tmp_path: Path) -> None:
    home = fake_jvm(tmp_path, "jdk", "17.0.9")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "java").symlink_to(home / "bin" / "java")
    found = find_java(environ={"PATH": str(bindir)}, system_dirs=[])
    assert found.home == home.resolve()
    assert found.source == "PATH"


def test_nothing_found_says_what_to_install(tmp_path: Path) -> None:
    fake_jvm(tmp_path / "jvm", "java-11", "11.0.2")
    with pytest.raises(ServiceError) as info:
        find_java(environ={"PATH": ""}, system_dirs=[tmp_path / "jvm"])
    message = str(info.value)
    assert "Java 17+ not found" in message
    assert "openjdk-17-jre-headless" in message
    assert "services.java_home" in message
    assert "11.0.2" in message  # says what it rejected
