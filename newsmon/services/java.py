"""Find a Java runtime (17 or newer) for Kafka, Elasticsearch and Maven.

Order: ``services.java_home`` (must be valid: never silently ignored), ``$JAVA_HOME`` (skipped if too
old), JVMs under the usual system directories (lowest suitable major first: the most widely supported
LTS), then ``java`` on ``PATH``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from newsmon.services.base import ServiceError

__all__ = ["MIN_JAVA", "SYSTEM_JVM_DIRS", "JavaInstall", "find_java", "java_major", "probe_java_home"]

MIN_JAVA = 17
SYSTEM_JVM_DIRS: tuple[Path, ...] = (
    Path("/usr/lib/jvm"),
    Path("/usr/java"),
    Path("/opt/java"),
    Path("/Library/Java/JavaVirtualMachines"),
)
INSTALL_HINT = (
    "install one (Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless) "
    "or set services.java_home (env NEWSMON_SERVICES__JAVA_HOME) to a JDK/JRE 17+ directory"
)


@dataclass(frozen=True)
class JavaInstall:
    """A usable Java: ``home`` (for JAVA_HOME / ES_JAVA_HOME), its ``java`` binary and major version."""

    home: Path
    java: Path
    major: int
    version: str
    source: str


def java_major(version: str) -> int:
    """``"17.0.15"`` -> 17, ``"1.8.0_412"`` -> 8, ``"25"`` -> 25; 0 if unparseable."""
    match = re.match(r"(\d+)(?:\.(\d+))?", version.strip())
    if not match:
        return 0
    first = int(match.group(1))
    if first == 1 and match.group(2):
        return int(match.group(2))
    return first


def _release_version(home: Path) -> str | None:
    release = home / "release"
    try:
        text = release.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    match = re.search(r'^JAVA_VERSION="?([^"\n]+)"?', text, re.MULTILINE)
    return match.group(1) if match else None


def _exec_version(java: Path) -> str | None:
    try:
        done = subprocess.run(
            [str(java), "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r'version "([^"]+)"', done.stderr + done.stdout)
    return match.group(1) if match else None


def probe_java_home(home: Path, source: str) -> JavaInstall | None:
    """A ``JavaInstall`` if ``home/bin/java`` exists (any version), else None."""
    if (home / "Contents" / "Home" / "bin" / "java").is_file():  # macOS bundle
        home = home / "Contents" / "Home"
    java = home / "bin" / "java"
    if not (java.is_file() and os.access(java, os.X_OK)):
        return None
    version = _release_version(home) or _exec_version(java)
    if version is None:
        return None
    return JavaInstall(home=home, java=java, major=java_major(version), version=version, source=source)


def _system_homes(dirs: Iterable[Path]) -> list[Path]:
    homes: list[Path] = []
    seen: set[Path] = set()
    for base in dirs:
        try:
            children = sorted(base.iterdir())
        except OSError:
            continue
        for child in children:
            real = child.resolve()
            if real not in seen and child.is_dir():
                seen.add(real)
                homes.append(real)
    return homes


def find_java(
    java_home: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    system_dirs: Iterable[Path] = SYSTEM_JVM_DIRS,
    minimum: int = MIN_JAVA,
) -> JavaInstall:
    """The Java to use, or ``ServiceError`` saying what to install or configure."""
    env = os.environ if environ is None else environ
    if java_home is not None:
        found = probe_java_home(Path(java_home), "services.java_home")
        if found is None:
            raise ServiceError(f"services.java_home={java_home} has no bin/java: fix it or unset it")
        if found.major < minimum:
            raise ServiceError(
                f"services.java_home={java_home} is Java {found.version}; Java {minimum}+ is required: "
                + INSTALL_HINT
            )
        return found
    rejected: list[str] = []
    if env.get("JAVA_HOME"):
        found = probe_java_home(Path(env["JAVA_HOME"]), "$JAVA_HOME")
        if found is not None and found.major >= minimum:
            return found
        rejected.append(f"$JAVA_HOME={env['JAVA_HOME']} ({found.version if found else 'no bin/java'})")
    candidates = [j for j in (probe_java_home(h, "system") for h in _system_homes(system_dirs)) if j]
    suitable = sorted((j for j in candidates if j.major >= minimum), key=lambda j: (j.major, str(j.home)))
    if suitable:
        return suitable[0]
    rejected.extend(f"{j.home} ({j.version})" for j in candidates)
    on_path = shutil.which("java", path=env.get("PATH"))
    if on_path:
        real = Path(on_path).resolve()
        found = probe_java_home(real.parent.parent, "PATH")
        if found is not None and found.major >= minimum:
            return found
        rejected.append(f"{on_path} ({found.version if found else 'unknown version'})")
    looked = "; rejected: " + ", ".join(rejected) if rejected else ""
    raise ServiceError(f"Java {minimum}+ not found{looked}: {INSTALL_HINT}")
