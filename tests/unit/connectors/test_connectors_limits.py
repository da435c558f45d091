"""Decoding limits (decompression bombs) and the SSRF address policy."""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import zlib

import brotli
import pytest

from connectors.decoding import BodyTooLarge, BoundedBody, UnsupportedEncoding
from connectors.http import parse_retry_after
from connectors.safety import AddressGuard, UnsafeURLError, is_public_address


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", lambda data: gzip.compress(data)),
        ("deflate", lambda data: zlib.compress(data)),
        ("br", lambda data: brotli.compress(data)),
    ],
)
def test_bounded_body_decodes_and_stops_bombs(encoding: str, compress: object) -> None:
    small = b"<rss>" + b"x" * 5000 + b"</rss>"
    body = BoundedBody(encoding, limit=10_000)
    body.feed(compress(small))  # type: ignore[operator]
    assert body.getvalue() == small

    bomb = compress(bytes(50_000_000))  # type: ignore[operator]
    bounded = BoundedBody(encoding, limit=1_000_000)
    with pytest.raises(BodyTooLarge, match="decompression bomb"):
        for start in range(0, len(bomb), 16384):
            bounded.feed(bomb[start : start + 16384])
    assert bounded.size <= 1_000_000


def test_bounded_body_limits_raw_size_and_rejects_unknown_encodings() -> None:
    body = BoundedBody(None, limit=10)
    with pytest.raises(BodyTooLarge):
        body.feed(b"x" * 11)
    with pytest.raises(UnsupportedEncoding):
        BoundedBody("compress", limit=10)
    with pytest.raises(UnsupportedEncoding, match="corrupt"):
        BoundedBody("gzip", limit=100).feed(b"not gzip at all")


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("192.168.0.10", False),
        ("172.16.5.4", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("224.0.0.1", False),
    ],
)
def test_public_address_policy(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public


def test_guard_refuses_private_urls_unless_permitted_or_trusted() -> None:
    async def check(guard: AddressGuard, url: str, allow: bool = False) -> str:
        with AddressGuard.permit_private(allow):
            try:
                await guard.check_url(url)
            except UnsafeURLError as exc:
                return str(exc)
        return "ok"

    async def scenario() -> list[str]:
        guard = AddressGuard(trusted_hosts=["10.0.0.5"])
        return [
            await check(guard, "http://169.254.169.254/latest/meta-data/"),
            await check(guard, "http://[::1]:8080/feed"),
            await check(guard, "gopher://93.184.216.34/"),
            await check(guard, "http://127.0.0.1/feed", allow=True),
            await check(guard, "http://10.0.0.5/rss-bridge"),
            await check(guard, "https://93.184.216.34/feed"),
        ]

    results = asyncio.run(scenario())

    assert "non-public address (169.254.169.254)" in results[0]
    assert "non-public address (::1)" in results[1]
    assert "only absolute http(s) URLs" in results[2]
    assert results[3:] == ["ok", "ok", "ok"]


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert parse_retry_after("120") == 120
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480 - 60) == 60
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
