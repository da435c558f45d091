"""Cached, checksum-verified HTTP downloads (Maven Central layout: ``<file>.sha512`` / ``<file>.sha1``).

A file appears at its cache path only after it was fully downloaded and verified (written to a
private ``.part`` file, then renamed atomically), so an existing cache entry is trusted as is.
"""

from __future__ import annotations

import hashlib
import os
import time
import urllib.error
import urllib.request
from http.client import HTTPResponse
from pathlib import Path
from typing import cast

from newsmon.services.base import Progress, ServiceError, stderr_progress

__all__ = ["USER_AGENT", "download", "fetch_checksum", "maven_url"]

USER_AGENT = "newsmon-services/0.1 (+https://github.com/; python-urllib)"
CHUNK = 1 << 20
CHECKSUM_ALGORITHMS: tuple[str, ...] = ("sha512", "sha1")


def maven_url(repository: str, group: str, artifact: str, version: str, filename: str) -> str:
    """URL of ``filename`` for ``group:artifact:version`` in a Maven 2 layout repository."""
    return f"{repository.rstrip('/')}/{group.replace('.', '/')}/{artifact}/{version}/{filename}"


def _open(url: str, timeout: float) -> HTTPResponse:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    return cast(HTTPResponse, urllib.request.urlopen(request, timeout=timeout))


def fetch_checksum(url: str, timeout: float = 30.0) -> tuple[str, str] | None:
    """The published digest of ``url`` as ``(algorithm, hex)``, or None if none is published."""
    for algorithm in CHECKSUM_ALGORITHMS:
        try:
            with _open(f"{url}.{algorithm}", timeout) as response:
                text = response.read(4096).decode("ascii", "replace").strip()
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                continue
            raise
        token = text.split()[0].lower() if text else ""
        expected_len = hashlib.new(algorithm).digest_size * 2
        if len(token) == expected_len and all(c in "0123456789abcdef" for c in token):
            return algorithm, token
    return None


def _human(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"  # pragma: no cover


def _fetch_once(
    url: str, part: Path, checksum: tuple[str, str] | None, progress: Progress, timeout: float
) -> None:
    digest = hashlib.new(checksum[0]) if checksum else None
    started = time.monotonic()
    with _open(url, timeout) as response, part.open("wb") as out:
        total = int(response.headers.get("Content-Length") or 0)
        done = 0
        next_report = 0.1
        last_time = started
        while True:
            chunk = response.read(CHUNK)
            if not chunk:
                break
            out.write(chunk)
            if digest is not None:
                digest.update(chunk)
            done += len(chunk)
            now = time.monotonic()
            if total and done / total >= next_report:
                progress(f"  {part.name.split('.part')[0]}: {done * 100 // total}% of {_human(total)}")
                while next_report <= done / total:
                    next_report += 0.1
            elif not total and now - last_time >= 5:
                progress(f"  {part.name.split('.part')[0]}: {_human(done)}")
                last_time = now
        out.flush()
        os.fsync(out.fileno())
    if total and done != total:
        raise OSError(f"truncated download: got {done} of {total} bytes")
    if checksum and digest is not None and digest.hexdigest() != checksum[1]:
        raise ValueError(
            f"{checksum[0]} mismatch for {url}: expected {checksum[1]}, got {digest.hexdigest()}"
        )


def download(
    url: str,
    dest: Path,
    *,
    progress: Progress = stderr_progress,
    verify: bool = True,
    timeout: float = 60.0,
    attempts: int = 3,
) -> Path:
    """Download ``url`` to ``dest`` unless already cached; verify against the published checksum.

    Raises ``ServiceError`` (saying what to check) after ``attempts`` failed tries.
    """
    if dest.is_file():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(f"{dest.name}.part-{os.getpid()}")
    last_error: Exception | None = None
    for attempt in range(1, attempts + 1):
        try:
            checksum = fetch_checksum(url, timeout) if verify else None
            if verify and checksum is None:
                progress(f"no checksum published for {url}; checking size only")
            suffix = f" (attempt {attempt}/{attempts})" if attempt > 1 else ""
            progress(f"downloading {url}{suffix}")
            _fetch_once(url, part, checksum, progress, timeout)
            os.replace(part, dest)
            return dest
        except urllib.error.HTTPError as exc:
            part.unlink(missing_ok=True)
            if exc.code == 404:
                raise ServiceError(
                    f"{url} does not exist (HTTP 404): check the version in your services settings "
                    "or that services.maven_repository points at a Maven Central mirror"
                ) from exc
            last_error = exc
        except (OSError, ValueError) as exc:  # URLError is an OSError
            part.unlink(missing_ok=True)
            last_error = exc
        if attempt < attempts:
            time.sleep(min(2**attempt, 10))
    raise ServiceError(
        f"could not download {url}: {last_error}. Check network access to the repository "
        "(proxy variables https_proxy/no_proxy) or set services.maven_repository to a reachable mirror"
    ) from last_error
