"""Run Maven for the local services: resolve artifacts (with their runtime dependencies) into a flat
directory of jars (Kafka), or build a project shipped with newsmon (the Elasticsearch analysis plugin).

Uses ``mvn`` from ``PATH``; if there is none, Apache Maven itself is downloaded from the configured
Maven repository (it is published there) into the cache. Resolution always goes through
``services.maven_repository`` (a generated settings.xml mirrors everything to it) and a local
repository inside the newsmon cache, so nothing depends on ``~/.m2``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from newsmon.services.archives import extract_archive
from newsmon.services.base import Progress, ServiceError, stderr_progress
from newsmon.services.downloads import download, maven_url
from newsmon.services.java import JavaInstall
from newsmon.services.process import tail_lines

__all__ = [
    "COMPLETE_MARKER",
    "DEPENDENCY_PLUGIN",
    "FALLBACK_MAVEN_VERSION",
    "find_mvn",
    "render_pom",
    "render_settings",
    "resolve_jars",
    "run_mvn",
]

FALLBACK_MAVEN_VERSION = "3.9.11"
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
COMPLETE_MARKER = ".complete"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # Debian's Maven 3.8 colours its log even with -B


def render_pom(coordinates: Sequence[str]) -> str:
    """A throw-away ``pom.xml`` depending on ``group:artifact:version`` coordinates."""
    deps = []
    for coordinate in coordinates:
        parts = coordinate.split(":")
        if len(parts) != 3 or not all(parts):
            raise ValueError(f"expected group:artifact:version, got {coordinate!r}")
        group, artifact, version = (escape(p) for p in parts)
        deps.append(
            "    <dependency>"
            f"<groupId>{group}</groupId><artifactId>{artifact}</artifactId><version>{version}</version>"
            "</dependency>"
        )
    body = "\n".join(deps)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>newsmon.local</groupId>
  <artifactId>newsmon-service-jars</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
{body}
  </dependencies>
</project>
"""


def render_settings(repository: str, local_repository: Path) -> str:
    """A ``settings.xml`` sending every request to ``repository`` and caching in ``local_repository``."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<settings xmlns="http://maven.apache.org/SETTINGS/1.0.0">
  <localRepository>{escape(str(local_repository))}</localRepository>
  <interactiveMode>false</interactiveMode>
  <mirrors>
    <mirror>
      <id>newsmon-repository</id>
      <mirrorOf>*</mirrorOf>
      <url>{escape(repository.rstrip("/"))}</url>
    </mirror>
  </mirrors>
</settings>
"""


def find_mvn(cache_dir: Path, repository: str, progress: Progress = stderr_progress) -> Path:
    """``mvn`` from PATH, else Apache Maven downloaded from ``repository`` into ``cache_dir``."""
    on_path = shutil.which("mvn")
    if on_path:
        return Path(on_path)
    version = FALLBACK_MAVEN_VERSION
    home = cache_dir / "tools" / f"apache-maven-{version}"
    mvn = home / "bin" / "mvn"
    if not mvn.is_file():
        progress(f"mvn not on PATH: downloading Apache Maven {version} from {repository}")
        name = f"apache-maven-{version}-bin.tar.gz"
        url = maven_url(repository, "org.apache.maven", "apache-maven", version, name)
        archive = download(url, cache_dir / "downloads" / name, progress=progress)
        extract_archive(archive, home)
    if not mvn.is_file():
        raise ServiceError(f"{mvn} missing after unpacking Maven: delete {home} and retry, or install maven")
    return mvn


def run_mvn(
    args: Sequence[str],
    *,
    pom: Path,
    java: JavaInstall,
    cache_dir: Path,
    repository: str,
    what: str,
    progress: Progress = stderr_progress,
    timeout: float = 900.0,
) -> None:
    """Run ``mvn -B -q <args>`` on ``pom`` through ``repository`` with the cache's local repository.

    The output goes to ``mvn.log`` beside ``pom``; on failure ``ServiceError`` quotes its tail and
    names ``what`` was being done.
    """
    mvn = find_mvn(cache_dir, repository, progress)
    work = pom.parent
    settings = work / "newsmon-maven-settings.xml"
    settings.write_text(render_settings(repository, cache_dir / "maven-repository"), encoding="utf-8")
    log = work / "mvn.log"
    argv = [str(mvn), "-B", "-q", "-s", str(settings), "-f", str(pom), *args]
    env = {**os.environ, "JAVA_HOME": str(java.home)}
    env.pop("MAVEN_ARGS", None)
    with log.open("wb") as fh:
        try:
            done = subprocess.run(
                argv, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=work, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise ServiceError(f"mvn timed out after {timeout:.0f}s {what}") from exc
        except OSError as exc:
            raise ServiceError(f"could not run {mvn}: {exc}: install maven or fix PATH") from exc
    if done.returncode != 0:
        tail = "\n".join(f"    {_ANSI.sub('', line)}" for line in tail_lines(log, 30))
        raise ServiceError(
            f"mvn failed (exit {done.returncode}) {what}:\n{tail}\n"
            f"Check network access to {repository} (or set services.maven_repository to a mirror)"
        )


def resolve_jars(
    coordinates: Sequence[str],
    lib_dir: Path,
    *,
    java: JavaInstall,
    cache_dir: Path,
    repository: str,
    progress: Progress = stderr_progress,
    timeout: float = 900.0,
) -> Path:
    """Copy the artifacts and their runtime dependencies into ``lib_dir`` (once; cached).

    ``lib_dir`` only appears once complete (it contains ``.complete`` listing the jars).
    """
    if (lib_dir / COMPLETE_MARKER).is_file():
        return lib_dir
    work = lib_dir.with_name(f".{lib_dir.name}.work-{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        pom = work / "pom.xml"
        pom.write_text(render_pom(coordinates), encoding="utf-8")
        out = work / "lib"
        what = f"resolving {', '.join(coordinates)}"
        progress(f"{what} with Maven (Maven Central via {repository})")
        run_mvn(
            [
                f"{DEPENDENCY_PLUGIN}:copy-dependencies",
                f"-DoutputDirectory={out}",
                "-DincludeScope=runtime",
            ],
            pom=pom,
            java=java,
            cache_dir=cache_dir,
            repository=repository,
            what=what,
            progress=progress,
            timeout=timeout,
        )
        jars = sorted(p.name for p in out.glob("*.jar")) if out.is_dir() else []
        if not jars:
            raise ServiceError(f"mvn copied no jars {what}: check {repository} has them")
        (out / COMPLETE_MARKER).write_text("\n".join(jars) + "\n", encoding="utf-8")
        lib_dir.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(lib_dir, ignore_errors=True)  # an incomplete leftover without the marker
        os.replace(out, lib_dir)
        progress(f"{len(jars)} jars cached in {lib_dir}")
        return lib_dir
    finally:
        shutil.rmtree(work, ignore_errors=True)
