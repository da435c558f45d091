"""The newsmon analysis plugin: language analyzers for the local ``integ-test-zip`` Elasticsearch.

That distribution lacks ``analysis-common``, so it has no ``english``/``russian``/``german``
analyzers. The Maven project in ``es_analysis_plugin/`` (package data) registers them, plus
``polish``, ``ukrainian`` and ``belarusian``, and the token filters ``polish_stem``, ``polish_stop``
(analysis-stempel's) and ``length`` (analysis-common's) that the index-defined ``polish_newsmon``
analyzer is made of, through Elasticsearch's stable plugin API, under the names the full
distribution uses, so one index mapping works locally and in production. See
docs/decisions/0008-local-language-analyzers.md. Never install it on a full Elasticsearch: the
names clash with the built-in analyzers there and the node refuses to start.

Build (``AnalysisPlugin.build``, once per plugin source hash and Elasticsearch version; cached as
``<cache_dir>/elasticsearch-plugins/newsmon-analysis-<es version>-<hash>.zip``):

1. copy the Maven project to a private work dir and ``mvn package`` it against the distribution's
   Lucene version (read from its ``lib/lucene-core-*.jar``);
2. write ``named_components.json`` with the distribution's own ``NamedComponentScanner``
   (``lib/tools/plugin-cli``): without it the node logs the plugin as loaded but has no analyzers;
3. zip the jars with ``stable-plugin-descriptor.properties`` and ``named_components.json``.

Install (``AnalysisPlugin.install``): unpack into one node's private ``plugins/`` directory,
replacing another build; skipped when the installed descriptor is this build's.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

from newsmon.services.base import Progress, ServiceError, stderr_progress
from newsmon.services.java import JavaInstall
from newsmon.services.locking import file_lock
from newsmon.services.maven import run_mvn
from newsmon.services.process import tail_lines

__all__ = [
    "ANALYZERS",
    "DESCRIPTOR_FILE",
    "NAMED_COMPONENTS_FILE",
    "PLUGIN_NAME",
    "SOURCE_DIR",
    "TOKEN_FILTERS",
    "AnalysisPlugin",
    "lucene_version",
    "remove_plugin",
    "render_descriptor",
    "source_hash",
]

PLUGIN_NAME = "newsmon-analysis"
ANALYZERS: tuple[str, ...] = ("english", "russian", "german", "polish", "ukrainian", "belarusian")
#: token filters with the names and settings of analysis-stempel's and analysis-common's (ADR 0008)
TOKEN_FILTERS: tuple[str, ...] = ("polish_stem", "polish_stop", "length")
SOURCE_DIR = Path(__file__).resolve().with_name("es_analysis_plugin")
DESCRIPTOR_FILE = "stable-plugin-descriptor.properties"
NAMED_COMPONENTS_FILE = "named_components.json"
ANALYZER_EXTENSIBLE = "org.elasticsearch.plugin.analysis.AnalyzerFactory"
TOKEN_FILTER_EXTENSIBLE = "org.elasticsearch.plugin.analysis.TokenFilterFactory"
SCANNER_CLASS = "org.elasticsearch.plugin.scanner.NamedComponentScanner"
JAVA_RELEASE = 17  # maven.compiler.release in the pom
_ZIP_TIME = (2026, 1, 1, 0, 0, 0)  # fixed entry times: the same sources give the same zip
_OFF_HINT = (
    "or set services.elasticsearch_analysis_plugin: false (NEWSMON_SERVICES__ELASTICSEARCH_ANALYSIS_PLUGIN"
    "=false) to run Elasticsearch without language analyzers"
)


def _source_files(source_dir: Path) -> list[Path]:
    files = [source_dir / "pom.xml", *(p for p in (source_dir / "src").rglob("*") if p.is_file())]
    return sorted(p for p in files if not any(s.startswith(".") for s in p.relative_to(source_dir).parts))


def source_hash(source_dir: Path = SOURCE_DIR) -> str:
    """SHA-256 over the plugin project's ``pom.xml`` and ``src/`` (paths and contents)."""
    if not (source_dir / "pom.xml").is_file() or not (source_dir / "src").is_dir():
        raise ServiceError(
            f"the newsmon analysis plugin sources are missing from {source_dir} (package data not "
            f"installed?): reinstall newsmon, {_OFF_HINT}"
        )
    digest = hashlib.sha256()
    for path in _source_files(source_dir):
        digest.update(path.relative_to(source_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def lucene_version(dist_dir: Path) -> str:
    """The Lucene version an unpacked Elasticsearch ships (from ``lib/lucene-core-<v>.jar``)."""
    jars = sorted((dist_dir / "lib").glob("lucene-core-*.jar"))
    if len(jars) != 1:
        raise ServiceError(
            f"cannot tell the Lucene version of {dist_dir}: expected one lib/lucene-core-*.jar, found "
            f"{len(jars)}; delete {dist_dir} so it is unpacked again, {_OFF_HINT}"
        )
    return jars[0].name.removeprefix("lucene-core-").removesuffix(".jar")


def render_descriptor(elasticsearch_version: str, build_id: str) -> str:
    """``stable-plugin-descriptor.properties``: the only keys Elasticsearch 8 accepts for a stable
    plugin (no ``classname``/``modulename``: it finds the components in ``named_components.json``;
    ``modular=false`` loads all the plugin's jars as one synthetic module)."""
    return (
        f"name={PLUGIN_NAME}\n"
        f"description=newsmon: {', '.join(ANALYZERS)} analyzers and {', '.join(TOKEN_FILTERS)} token "
        "filters for the local integ-test Elasticsearch\n"
        f"version={build_id}\n"
        f"elasticsearch.version={elasticsearch_version}\n"
        f"java.version={JAVA_RELEASE}\n"
        "modular=false\n"
    )


def remove_plugin(plugins_dir: Path) -> bool:
    """Delete the plugin from a node's ``plugins/`` directory; True if it was there."""
    target = plugins_dir / PLUGIN_NAME
    if not target.exists():
        return False
    shutil.rmtree(target)
    return True


def _write_zip(dest: Path, jars: Iterable[Path], extra: dict[str, str]) -> None:
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        entries = [(jar.name, jar.read_bytes()) for jar in jars]
        entries += [(name, text.encode("utf-8")) for name, text in extra.items()]
        for name, data in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    os.replace(tmp, dest)


class AnalysisPlugin:
    """The plugin for one unpacked Elasticsearch distribution: ``ElasticsearchService.prepare()``
    builds it (cached), ``ElasticsearchService.start()`` installs it into the node's own ES home."""

    def __init__(
        self,
        *,
        dist_dir: Path,
        elasticsearch_version: str,
        cache_dir: Path,
        maven_repository: str,
        java: Callable[[], JavaInstall],
        progress: Progress = stderr_progress,
        source_dir: Path = SOURCE_DIR,
    ) -> None:
        self.dist_dir = dist_dir
        self.elasticsearch_version = elasticsearch_version
        self.cache_dir = cache_dir
        self.maven_repository = maven_repository
        self._java = java
        self.progress = progress
        self.source_dir = source_dir
        self._build_id: str | None = None

    @property
    def build_id(self) -> str:
        """First 16 hex digits of the source hash: the plugin's ``version`` and part of its cache key."""
        if self._build_id is None:
            self._build_id = source_hash(self.source_dir)[:16]
        return self._build_id

    @property
    def zip_path(self) -> Path:
        name = f"{PLUGIN_NAME}-{self.elasticsearch_version}-{self.build_id}.zip"
        return self.cache_dir / "elasticsearch-plugins" / name

    def descriptor(self) -> str:
        return render_descriptor(self.elasticsearch_version, self.build_id)

    def build(self) -> Path:
        """The plugin zip, built on first use (Maven, then the distribution's scanner) and cached."""
        if self.zip_path.is_file():
            return self.zip_path
        lock = self.cache_dir / "locks" / f"{self.zip_path.stem}.lock"
        with file_lock(lock, what="the newsmon analysis plugin build", timeout=1800, progress=self.progress):
            if self.zip_path.is_file():
                return self.zip_path
            self.progress("building the newsmon analysis plugin (first run only)")
            self.zip_path.parent.mkdir(parents=True, exist_ok=True)
            work = Path(tempfile.mkdtemp(prefix=".build-", dir=self.zip_path.parent))
            try:
                self._build_in(work)
            finally:
                shutil.rmtree(work, ignore_errors=True)
        return self.zip_path

    def install(self, plugins_dir: Path) -> bool:
        """Put this build into ``plugins_dir`` (replacing any other); False if it already is there."""
        target = plugins_dir / PLUGIN_NAME
        try:
            installed = (target / DESCRIPTOR_FILE).read_text(encoding="utf-8")
        except OSError:
            installed = None
        if installed == self.descriptor():
            return False
        archive = self.build()
        # unpack beside plugins/, never inside it: Elasticsearch treats every entry there as a plugin
        staging = plugins_dir.parent / f".{PLUGIN_NAME}.installing"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(staging)
        except (OSError, zipfile.BadZipFile) as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise ServiceError(f"cannot unpack {archive} ({exc}): delete it so it is built again") from exc
        plugins_dir.mkdir(parents=True, exist_ok=True)
        remove_plugin(plugins_dir)
        os.replace(staging, target)
        return True

    # -- build steps --------------------------------------------------------------------------------

    def _build_in(self, work: Path) -> None:
        started = time.monotonic()
        java = self._java()
        if not (java.home / "bin" / "javac").is_file():
            raise ServiceError(
                f"building the newsmon analysis plugin needs a JDK, but Java at {java.home} has no javac: "
                f"install one (Debian/Ubuntu: apt-get install -y openjdk-17-jdk-headless) {_OFF_HINT}"
            )
        project = work / "project"
        shutil.copytree(self.source_dir, project, ignore=shutil.ignore_patterns("target", ".*"))
        lucene = lucene_version(self.dist_dir)
        try:
            run_mvn(
                [
                    f"-Delasticsearch.version={self.elasticsearch_version}",
                    f"-Dlucene.version={lucene}",
                    "package",
                ],
                pom=project / "pom.xml",
                java=java,
                cache_dir=self.cache_dir,
                repository=self.maven_repository,
                what="building the newsmon analysis plugin",
                progress=self.progress,
            )
        except ServiceError as exc:
            raise ServiceError(f"{exc}, {_OFF_HINT}") from exc
        plugin_jar = project / "target" / f"{PLUGIN_NAME}.jar"
        bundled = sorted((project / "target" / "plugin-libs").glob("*.jar"))
        named = self._scan(plugin_jar, java, work)
        _write_zip(
            self.zip_path,
            [plugin_jar, *bundled],
            {DESCRIPTOR_FILE: self.descriptor(), NAMED_COMPONENTS_FILE: named},
        )
        self.progress(f"newsmon analysis plugin built in {time.monotonic() - started:.0f}s: {self.zip_path}")

    def _scanner_classpath(self) -> list[Path]:
        tools = self.dist_dir / "lib" / "tools" / "plugin-cli"
        wanted = {
            tools: (
                "elasticsearch-plugin-scanner-*.jar",
                "asm-*.jar",
                "elasticsearch-core-*.jar",
                "elasticsearch-x-content-*.jar",
                "elasticsearch-plugin-api-*.jar",
            ),
            self.dist_dir / "lib": ("elasticsearch-plugin-analysis-api-*.jar",),
        }
        classpath: list[Path] = []
        for directory, patterns in wanted.items():
            for pattern in patterns:
                found = sorted(directory.glob(pattern))
                if not found:
                    raise ServiceError(
                        f"{directory} has no {pattern}, which the named-component scanner needs: delete "
                        f"{self.dist_dir} so it is unpacked again, {_OFF_HINT}"
                    )
                classpath.extend(found)
        return classpath

    def _scan(self, plugin_jar: Path, java: JavaInstall, work: Path) -> str:
        out = work / NAMED_COMPONENTS_FILE
        log = work / "scanner.log"
        classpath = os.pathsep.join(str(p) for p in [*self._scanner_classpath(), plugin_jar])
        with log.open("wb") as fh:
            done = subprocess.run(
                [str(java.java), "-cp", classpath, SCANNER_CLASS, str(out)],
                stdout=fh,
                stderr=subprocess.STDOUT,
                cwd=work,
                timeout=300,
                check=False,
            )
        try:
            components = json.loads(out.read_text(encoding="utf-8")) if done.returncode == 0 else {}
        except (OSError, ValueError):
            components = {}
        if not isinstance(components, dict):
            components = {}
        wanted = ((ANALYZER_EXTENSIBLE, ANALYZERS), (TOKEN_FILTER_EXTENSIBLE, TOKEN_FILTERS))
        missing = [n for kind, names in wanted for n in names if n not in (components.get(kind) or {})]
        if missing:
            tail = "\n".join(f"    {line}" for line in tail_lines(log, 20))
            raise ServiceError(
                f"Elasticsearch's named-component scanner (exit {done.returncode}) did not find the "
                f"analysis components {', '.join(missing)} in {plugin_jar.name}:\n{tail}\n"
                f"Report this with the output above, {_OFF_HINT}"
            )
        return json.dumps(components, sort_keys=True) + "\n"
