"""Apache Beam's Prism runner, built from source and cached per Beam version.

The Beam version comes from ``services.beam_version`` and must equal the installed Python
``apache-beam`` (the Python SDK and the runner speak the same job API version). The module's source
comes from the Go module proxy (``go mod download``); its ``go/`` tree is copied, the fixes in
:data:`PATCHES` for that version are applied, and ``go build`` makes the binary. It lands in
``<cache_dir>/prism/<version>/prism`` and is passed to Beam as ``--prism_location``; a ``patches``
file beside it names the fixes it has, so a binary built without them is rebuilt.

The one fix so far (ADR 0012): Prism's per-bundle progress loop selected on a channel that is
closed as soon as a bundle's data is complete, so while the worker finished the bundle the loop
spun; with our long streaming bundles that was 0.3 cores at idle and most of Prism's CPU under load.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsmon.core.settings import ServicesSettings
from newsmon.services.base import Progress, ServiceError, ServiceStatus, stderr_progress
from newsmon.services.gotool import find_go
from newsmon.services.locking import file_lock
from newsmon.services.process import tail_lines

__all__ = ["PATCHES", "PRISM_PACKAGE", "Patch", "PrismBuilder", "apply_patches", "installed_beam_version"]

PRISM_PACKAGE = "github.com/apache/beam/sdks/v2/go/cmd/prism"
PRISM_MODULE = "github.com/apache/beam/sdks/v2"


@dataclass(frozen=True)
class Patch:
    """A fix applied to Prism's source before it is built: ``old`` must occur exactly once in
    ``path`` (relative to the module's root) and is replaced by ``new``."""

    name: str
    path: str
    old: str
    new: str


_PROGRESS_LOOP = "go/pkg/beam/runners/prism/internal/stage.go"

#: Beam version -> the fixes its Prism is built with
PATCHES: dict[str, tuple[Patch, ...]] = {
    "2.73.0": (
        Patch(
            name="progress-loop-closed-channel",
            path=_PROGRESS_LOOP,
            old="\t\tcase <-dataReady:\n\t\t\tdataFinished = true\n",
            new=(
                "\t\tcase <-dataReady:\n\t\t\tdataFinished = true\n"
                "\t\t\tdataReady = nil // newsmon: closed = always ready; stop selecting on it\n"
            ),
        ),
    ),
}


def installed_beam_version() -> str | None:
    try:
        return importlib.metadata.version("apache-beam")
    except importlib.metadata.PackageNotFoundError:
        return None


def apply_patches(root: Path, patches: tuple[Patch, ...]) -> None:
    """Apply ``patches`` to the source tree at ``root``; a patch that does not match exactly once
    raises :class:`ServiceError` (the pinned source changed: the patch list must be revised)."""
    for patch in patches:
        path = root / patch.path
        text = path.read_text(encoding="utf-8")
        found = text.count(patch.old)
        if found != 1:
            raise ServiceError(
                f"Prism patch {patch.name}: expected its text once in {patch.path}, found it {found} "
                "times; revise newsmon/services/prism.py PATCHES for this Beam version"
            )
        path.write_text(text.replace(patch.old, patch.new), encoding="utf-8")


class PrismBuilder:
    """Build (once) and locate the Prism runner binary."""

    name = "prism"

    def __init__(self, settings: ServicesSettings, progress: Progress = stderr_progress) -> None:
        self.settings = settings
        self.progress = progress
        self.dir = settings.cache_dir / "prism" / settings.beam_version
        self.binary = self.dir / "prism"
        self.build_log = self.dir / "build.log"
        self.patches = PATCHES.get(settings.beam_version, ())
        self.marker = self.dir / "patches"

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

    def _patch_names(self) -> str:
        return "".join(f"{patch.name}\n" for patch in self.patches)

    def built(self) -> bool:
        """The binary is there, and was built with this version's patches."""
        if not (self.binary.is_file() and os.access(self.binary, os.X_OK)):
            return False
        try:
            return self.marker.read_text(encoding="utf-8") == self._patch_names()
        except OSError:
            return False

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
        work = self.dir / f".build-{os.getpid()}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        env = dict(os.environ)
        env.update(CGO_ENABLED="0", GOFLAGS="-mod=mod")
        env["PATH"] = f"{go.parent}{os.pathsep}{env.get('PATH', '')}"
        if not env.get("HOME"):
            env.setdefault("GOPATH", str(self.settings.cache_dir / "go"))
            env.setdefault("GOCACHE", str(self.settings.cache_dir / "go-build"))
        module = f"{PRISM_MODULE}@v{self.settings.beam_version}"
        self.progress(
            f"building Prism {self.settings.beam_version} from {module} (1-3 minutes the first time)"
        )
        started = time.monotonic()
        try:
            with self.build_log.open("wb") as log:
                download = self._run(
                    [str(go), "mod", "download", "-json", module], env, work, log, timeout, capture=True
                )
                if download.returncode != 0:
                    raise self._failed(download.returncode)
                source = Path(json.loads(download.stdout)["Dir"])
                root = work / "src"
                root.mkdir()
                for name in ("go.mod", "go.sum"):
                    shutil.copyfile(source / name, root / name)
                shutil.copytree(source / "go", root / "go", copy_function=shutil.copyfile)
                apply_patches(root, self.patches)
                if self.patches:
                    log.write(f"applied: {', '.join(p.name for p in self.patches)}\n".encode())
                output = work / "prism"
                build = self._run(
                    [str(go), "build", "-o", str(output), "./go/cmd/prism"],
                    env,
                    root,
                    log,
                    timeout - (time.monotonic() - started),
                )
                if build.returncode != 0 or not output.is_file():
                    raise self._failed(build.returncode)
            os.replace(output, self.binary)
            self.marker.write_text(self._patch_names(), encoding="utf-8")
        finally:
            shutil.rmtree(work, ignore_errors=True)
        self.progress(f"Prism built in {time.monotonic() - started:.0f}s: {self.binary}")

    def _run(
        self,
        command: list[str],
        env: dict[str, str],
        cwd: Path,
        log: Any,
        timeout: float,
        capture: bool = False,
    ) -> subprocess.CompletedProcess[bytes]:
        """Run a Go command (its output to the build log, or captured), with progress lines."""
        started = time.monotonic()
        proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE if capture else log,
            stderr=log,
            env=env,
            cwd=cwd,
        )
        while True:
            try:
                out, _ = proc.communicate(timeout=15)
                return subprocess.CompletedProcess(command, proc.returncode, out or b"", b"")
            except subprocess.TimeoutExpired:
                elapsed = time.monotonic() - started
                if elapsed > timeout:
                    proc.kill()
                    proc.wait()
                    raise ServiceError(
                        f"Prism build timed out after {timeout:.0f}s; see {self.build_log}"
                    ) from None
                self.progress(f"  still building Prism ({elapsed:.0f}s)")

    def _failed(self, code: int) -> ServiceError:
        tail = "\n".join(f"    {line}" for line in tail_lines(self.build_log, 30))
        return ServiceError(
            f"building Prism failed (exit {code}):\n{tail}\n"
            "Check access to the Go module proxy (GOPROXY) and that Go is 1.26+"
        )

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
