"""Find the ``go`` command, or fetch a Go toolchain from the Go module proxy when there is none.

Go publishes its toolchains as ordinary modules (``golang.org/toolchain``; this is what
``GOTOOLCHAIN=auto`` downloads), so the fallback needs nothing but the module proxy. The zip is
verified against the checksum database (served through the proxy) with Go's ``h1:`` dirhash.
"""

from __future__ import annotations

import base64
import hashlib
import os
import platform
import shutil
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from newsmon.services.archives import extract_archive
from newsmon.services.base import Progress, ServiceError, stderr_progress
from newsmon.services.downloads import USER_AGENT, download

__all__ = ["FALLBACK_GO_VERSION", "find_go", "go_platform", "module_zip_h1"]

FALLBACK_GO_VERSION = "1.26.8"
DEFAULT_PROXY = "https://proxy.golang.org"


def go_platform() -> str:
    """``linux-amd64``-style suffix of toolchain module versions for this machine."""
    system = platform.system().lower()
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    return f"{system}-{arch}"


def module_zip_h1(path: Path) -> str:
    """Go's ``h1:`` hash of a module zip (``golang.org/x/mod/sumdb/dirhash.HashZip``)."""
    summary = hashlib.sha256()
    with zipfile.ZipFile(path) as zf:
        for name in sorted(zf.namelist()):
            if name.endswith("/"):
                continue
            digest = hashlib.sha256()
            with zf.open(name) as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
            summary.update(f"{digest.hexdigest()}  {name}\n".encode())
    return "h1:" + base64.b64encode(summary.digest()).decode("ascii")


def _proxy() -> str:
    for entry in os.environ.get("GOPROXY", DEFAULT_PROXY).replace("|", ",").split(","):
        if entry.startswith("http"):
            return entry.rstrip("/")
    return DEFAULT_PROXY


def _expected_h1(proxy: str, module: str, version: str) -> str | None:
    url = f"{proxy}/sumdb/sum.golang.org/lookup/{module}@{version}"
    try:
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode("utf-8", "replace")
    except (OSError, urllib.error.URLError):
        return None
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == module and parts[1] == version:
            return str(parts[2])
    return None


def find_go(cache_dir: Path, progress: Progress = stderr_progress) -> Path:
    """``go`` from PATH (or /usr/local/go), else a toolchain downloaded into ``cache_dir``."""
    for candidate in (shutil.which("go"), "/usr/local/go/bin/go"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    module = "golang.org/toolchain"
    version = f"v0.0.1-go{FALLBACK_GO_VERSION}.{go_platform()}"
    root = cache_dir / "tools" / f"go{FALLBACK_GO_VERSION}.{go_platform()}"
    go = root / "toolchain" / "bin" / "go"
    if go.is_file():
        return go
    proxy = _proxy()
    progress(f"go not on PATH: fetching Go {FALLBACK_GO_VERSION} from {proxy} (module {module})")
    archive = cache_dir / "downloads" / f"go-toolchain-{version}.zip"
    download(f"{proxy}/{module}/@v/{version}.zip", archive, progress=progress, verify=False)
    expected = _expected_h1(proxy, module, version)
    actual = module_zip_h1(archive)
    if expected is None or expected != actual:
        archive.unlink(missing_ok=True)
        raise ServiceError(
            f"Go toolchain {version} failed verification (checksum database says {expected}, "
            f"download hashes to {actual}): install Go 1.26+ (https://go.dev/doc/install) and retry"
        )
    unpacked = extract_archive(archive, root / "unpacked")  # top dir "golang.org" is stripped
    source = unpacked / f"toolchain@{version}"
    for tool_dir in (source / "bin", *(source / "pkg" / "tool").glob("*")):
        for tool in tool_dir.iterdir():
            if tool.is_file():
                tool.chmod(0o755)
    os.replace(source, root / "toolchain")
    shutil.rmtree(unpacked, ignore_errors=True)
    if not go.is_file():
        raise ServiceError(f"{go} missing after unpacking the Go toolchain: delete {root} and retry")
    return go
