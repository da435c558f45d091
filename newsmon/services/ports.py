"""Loopback port checks: is a port free, who holds it, and which addresses a process listens on."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import Iterable, Mapping

import psutil

from newsmon.services.base import ServiceError

__all__ = [
    "LOOPBACK",
    "ensure_ports_free",
    "is_loopback",
    "listening_addresses",
    "port_free",
    "port_open",
    "port_owner",
]

LOOPBACK = "127.0.0.1"


def port_free(port: int, host: str = LOOPBACK) -> bool:
    """True if nothing listens on ``host:port`` (TIME_WAIT leftovers do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def port_open(port: int, host: str = LOOPBACK, timeout: float = 1.0) -> bool:
    """True if a TCP connection to ``host:port`` succeeds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def port_owner(port: int) -> tuple[int, str] | None:
    """``(pid, command line)`` of the process listening on ``port``, if visible to us."""
    with contextlib.suppress(psutil.Error, OSError):
        for conn in psutil.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port and conn.pid:
                try:
                    cmd = " ".join(psutil.Process(conn.pid).cmdline())
                except psutil.Error:
                    cmd = "?"
                return int(conn.pid), cmd
    return None


def ensure_ports_free(ports: Mapping[str, int]) -> None:
    """``ServiceError`` naming the holder and the setting to change if any port is taken.

    ``ports`` maps the setting name (``services.kafka_port``) to its port number.
    """
    for setting, port in ports.items():
        if port_free(port):
            continue
        owner = port_owner(port)
        if owner is not None:
            pid, cmd = owner
            short = cmd if len(cmd) <= 120 else cmd[:117] + "..."
            who = f"pid {pid} ({short})"
        else:
            who = f"another process (see `ss -ltnp 'sport = :{port}'`)"
        raise ServiceError(f"port {port} in use by {who}: stop it or set {setting} to a free port")


def is_loopback(address: str) -> bool:
    """True for 127.0.0.0/8, ::1 and IPv4-mapped loopback (``::ffff:127.0.0.1``)."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def listening_addresses(pids: Iterable[int]) -> list[tuple[str, int]]:
    """``(ip, port)`` of every TCP listener owned by ``pids``."""
    wanted = set(pids)
    found: list[tuple[str, int]] = []
    for conn in psutil.net_connections(kind="tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.pid in wanted and conn.laddr:
            found.append((str(conn.laddr.ip), int(conn.laddr.port)))
    return sorted(found)
