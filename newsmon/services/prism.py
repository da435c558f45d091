"""Apache Beam's Prism runner, built from source with ``go install`` and cached per Beam version.

The Beam version comes from ``services.beam_version`` and must equal the installed Python
``apache-beam`` (the Python SDK and the runner speak the same job API version). The binary lands in
``<cache_dir>/prism/<version>/prism`` and is passed to Beam as ``--prism_location``.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import time
from pathlib import Path

from newsmon.core.settings import ServicesSettings
from newsmon.services.base import Progress, ServiceError, ServiceStatus, stderr_progress
from newsmon.services.gotool import find_go
from newsmon.services.locking import file_lock
from newsmon.services.process import tail_lines

__all__ = ["PRISM_PACKAGE", "PrismBuilder", "installed_beam_version"]

PRISM_PACKAGE = "github.com/apache/beam/sdks/v2/go/cmd/prism"


def installed_beam_version() -> str | None:
    try:
        return importlib.metadata.version("apache-beam")
    except importlib.metadata.PackageNotFoundError:
        return None


class PrismBuilder:
    """Build (once) and locate the Prism runner binary."""

    name = "prism"

    def __init__(self, settings: ServicesSettings, progress: Progress = stderr_progress) -> None:
        self.settings = settings
        self.progress = progress
        self.dir = settings.cache_dir / "prism" / settings.beam_version
        self.binary = self.dir / "prism"
        self.build_log = self.dir / "build.log"

    def check_beam_version(self) -> None:
        installed = installed_beam_version()
        wanted = self.settings.beam_version
        if installed is not None and installed != wanted:
            raise ServiceError(
                f"services.beam_version is {wanted} but the installed Python apache-beam is {installed}: "
                f"set services.beam_version to {installed} (or install apache-beam=={wanted}) so Prism "
                "matches the SDK"
            )

    def log_files(self) -> list[Path]:
        return [self.build_log]

    def built(self) -> bool:
        return self.binary.is_file() and os.access(self.binary, os.X_OK)

    def build(self, timeout: float = 1800.0) -> Path:
        """Return the cached binary, building it with ``go install`` first if needed."""
        self.check_beam_version()
        if self.built():
            return self.binary
        lock = self.settings.cache_dir / "locks" / f"prism-{self.settings.beam_version}.lock"
        with file_lock(lock, what="the Prism build", timeout=timeout, progress=self.progress):
            if self.built():
                return self.binary
            self._build(timeout)
        return self.binary

    def _build(self, timeout: float) -> None:
        go = find_go(self.settings.cache_dir, self.progress)
        self.dir.mkdir(parents=True, exist_ok=True)
        gobin = self.dir / f".gobin-{os.getpid()}"
        shutil.rmtree(gobin, ignore_errors=True)
        gobin.mkdir()
        env = dict(os.environ)
        env.update(GOBIN=str(gobin), CGO_ENABLED="0")
        env["PATH"] = f"{go.parent}{os.pathsep}{env.get('PATH', '')}"
        if not env.get("HOME"):
            env.setdefault("GOPATH", str(self.settings.cache_dir / "go"))
            env.setdefault("GOCACHE", str(self.settings.cache_dir / "go-build"))
        target = f"{PRISM_PACKAGE}@v{self.settings.beam_version}"
        self.progress(f"building Prism: {go} install {target} (1-3 minutes the first time)")
        started = time.monotonic()
        try:
            with self.build_log.open("wb") as log:
                proc = subprocess.Popen(
                    [str(go), "install", target], stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.dir
                )
                while True:
                    try:
                        code = proc.wait(timeout=15)
                        break
                    except subprocess.TimeoutExpired:
                        elapsed = time.monotonic() - started
                        if elapsed > timeout:
                            proc.kill()
                            proc.wait()
                            raise ServiceError(
                                f"Prism build timed out after {timeout:.0f}s; see {self.build_log}"
                            ) from None
                        self.progress(f"  still building Prism ({elapsed:.0f}s)")
            built = gobin / "prism"
            if code != 0 or not built.is_file():
                tail = "\n".join(f"    {line}" for line in tail_lines(self.build_log, 30))
                raise ServiceError(
                    f"building Prism failed (exit {code}):\n{tail}\n"
                    "Check access to the Go module proxy (GOPROXY) and that Go is 1.26+"
                )
            os.replace(built, self.binary)
        finally:
            shutil.rmtree(gobin, ignore_errors=True)
        self.progress(f"Prism built in {time.monotonic() - started:.0f}s: {self.binary}")

    def status(self) -> ServiceStatus:
        built = self.built()
        return ServiceStatus(
            name=self.name,
            running=False,
            healthy=built,
            pid=None,
            endpoint=str(self.binary) if built else "-",
            detail="built (Beam starts it on demand)"
            if built
            else "not built: run `newsmon services up --only prism`",
            version=self.settings.beam_version,
            data_dir=None,
        )
