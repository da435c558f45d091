"""Unpack downloaded archives atomically, keeping Unix permissions (executable scripts stay executable).

Archives are extracted into a private temporary directory next to the target, their single top-level
directory (``elasticsearch-8.19.4/``) is stripped, and the result is renamed into place. Everything
is made world-readable so an unprivileged service user can run it.
"""

from __future__ import annotations

import os
import shutil
import stat
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

from newsmon.services.base import ServiceError

__all__ = ["extract_archive"]


def _safe_parts(name: str) -> tuple[str, ...]:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        raise ServiceError(f"refusing archive member with unsafe path {name!r}: the download is corrupt")
    return path.parts


def _readable(mode: int, is_dir: bool) -> int:
    if is_dir:
        return 0o755
    mode = (mode & 0o777) or 0o644
    mode |= 0o444
    if mode & 0o111:
        mode |= 0o111
    return mode & 0o755


def _extract_zip(archive: Path, into: Path) -> None:
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            parts = _safe_parts(info.filename)
            if not parts:
                continue
            target = into.joinpath(*parts)
            unix_mode = info.external_attr >> 16
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if stat.S_ISLNK(unix_mode):
                link = zf.read(info).decode("utf-8")
                _safe_parts(str(PurePosixPath(*parts[:-1]) / link))
                target.symlink_to(link)
                continue
            with zf.open(info) as src, target.open("wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            target.chmod(_readable(unix_mode, False))


def _extract_tar(archive: Path, into: Path) -> None:
    with tarfile.open(archive) as tf:
        for member in tf.getmembers():
            _safe_parts(member.name)
        if hasattr(tarfile, "data_filter"):
            tf.extractall(into, filter="data")
        else:  # Python < 3.11.4: member names were checked above
            tf.extractall(into)
    for root, dirs, files in os.walk(into):
        for d in dirs:
            Path(root, d).chmod(0o755)
        for f in files:
            path = Path(root, f)
            if not path.is_symlink():
                path.chmod(_readable(path.stat().st_mode, False))


def extract_archive(archive: Path, target: Path) -> Path:
    """Extract ``archive`` (zip or tar.gz) so that its top-level directory becomes ``target``.

    Does nothing if ``target`` already exists (it only ever appears complete).
    """
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        if zipfile.is_zipfile(archive):
            _extract_zip(archive, tmp)
        elif tarfile.is_tarfile(archive):
            _extract_tar(archive, tmp)
        else:
            raise ServiceError(f"{archive} is neither a zip nor a tar archive: delete it and retry")
        entries = list(tmp.iterdir())
        top = entries[0] if len(entries) == 1 and entries[0].is_dir() else tmp
        for root, dirs, _files in os.walk(top):
            for d in dirs:
                Path(root, d).chmod(0o755)
        top.chmod(0o755)
        try:
            os.replace(top, target)
        except OSError:
            if not target.is_dir():  # a concurrent extraction did not win the race either
                raise
    except (OSError, zipfile.BadZipFile, tarfile.TarError) as exc:
        raise ServiceError(
            f"could not unpack {archive} into {target}: {exc}. Delete {archive} to download it again"
        ) from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
