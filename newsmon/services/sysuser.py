"""The unprivileged system user Elasticsearch runs as when newsmon itself runs as root (e.g. in CI).

Elasticsearch refuses to start as root and has no override, so as root we create (once) a system
user without a home or login shell and start Elasticsearch under it.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path

from newsmon.services.base import ServiceError

__all__ = ["SERVICE_USER", "chown_tree", "ensure_service_user", "running_as_root"]

SERVICE_USER = "newsmon"
_NOLOGIN = ("/usr/sbin/nologin", "/sbin/nologin", "/bin/false")


def running_as_root() -> bool:
    return os.geteuid() == 0


def ensure_service_user(name: str = SERVICE_USER) -> tuple[int, int]:
    """``(uid, gid)`` of system user ``name``, creating it if missing (requires root)."""
    try:
        entry = pwd.getpwnam(name)
        return entry.pw_uid, entry.pw_gid
    except KeyError:
        pass
    shell = next((s for s in _NOLOGIN if Path(s).exists()), "/bin/false")
    useradd = shutil.which("useradd") or ("/usr/sbin/useradd" if Path("/usr/sbin/useradd").exists() else None)
    adduser = shutil.which("adduser")
    if useradd:
        argv = [useradd, "--system", "--user-group", "--no-create-home", "--shell", shell, name]
    elif adduser:  # busybox / Alpine
        argv = [adduser, "-S", "-D", "-H", "-s", shell, name]
    else:
        argv = []
    hint = (
        f"Elasticsearch cannot run as root: create the system user yourself "
        f"(useradd --system --user-group --no-create-home --shell {shell} {name}) or run newsmon as a "
        "non-root user"
    )
    if not argv:
        raise ServiceError(f"neither useradd nor adduser is available. {hint}")
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise ServiceError(
            f"creating user {name!r} failed ({' '.join(argv)}: exit {done.returncode}: "
            f"{done.stderr.strip()}). {hint}"
        ) from None
    return entry.pw_uid, entry.pw_gid


def chown_tree(path: Path, uid: int, gid: int) -> None:
    """Give ``path`` and everything below it to ``uid:gid``."""
    os.chown(path, uid, gid, follow_symlinks=False)
    for root, dirs, files in os.walk(path):
        for entry in (*dirs, *files):
            os.chown(os.path.join(root, entry), uid, gid, follow_symlinks=False)
