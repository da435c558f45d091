"""Streaming Content-Encoding decoders with a hard limit on the decoded size (decompression bombs).

Each decoder is asked for at most ``remaining + 1`` bytes per chunk, so a 10 kB gzip bomb never
inflates to more than the limit in memory: the fetch fails with ``BodyTooLarge`` instead.
"""

from __future__ import annotations

import zlib
from typing import Protocol

import brotli

__all__ = ["BodyTooLarge", "BoundedBody", "UnsupportedEncoding"]


class BodyTooLarge(Exception):
    """The (decoded) body exceeds the configured maximum."""


class UnsupportedEncoding(Exception):
    """The server used a Content-Encoding we did not ask for."""


class _Decoder(Protocol):
    def decode(self, data: bytes, limit: int) -> bytes: ...


class _ZlibDecoder:
    def __init__(self, wbits: int) -> None:
        self._obj = zlib.decompressobj(wbits)
        self._first = wbits == zlib.MAX_WBITS  # deflate: fall back to raw deflate if the header is absent

    def decode(self, data: bytes, limit: int) -> bytes:
        try:
            out = self._obj.decompress(data, limit + 1)
        except zlib.error:
            if not self._first:
                raise
            self._obj, self._first = zlib.decompressobj(-zlib.MAX_WBITS), False
            out = self._obj.decompress(data, limit + 1)
        self._first = False
        if self._obj.unconsumed_tail or len(out) > limit:
            raise BodyTooLarge("decoded body exceeds the limit (decompression bomb?)")
        return out


class _BrotliDecoder:
    def __init__(self) -> None:
        self._obj = brotli.Decompressor()

    def decode(self, data: bytes, limit: int) -> bytes:
        out: bytes = self._obj.process(data, output_buffer_limit=limit + 1)
        if len(out) > limit or not self._obj.can_accept_more_data():
            raise BodyTooLarge("decoded body exceeds the limit (decompression bomb?)")
        return out


def _decoder_for(name: str) -> _Decoder:
    if name in ("gzip", "x-gzip"):
        return _ZlibDecoder(zlib.MAX_WBITS | 16)
    if name == "deflate":
        return _ZlibDecoder(zlib.MAX_WBITS)
    if name == "br":
        return _BrotliDecoder()
    raise UnsupportedEncoding(f"unsupported Content-Encoding {name!r}")


class BoundedBody:
    """Accumulates a response body, decoding ``Content-Encoding`` and enforcing ``limit`` bytes.

    ``raw_bytes`` counts bytes on the wire; both raw and decoded sizes are bounded by ``limit``.
    """

    def __init__(self, content_encoding: str | None, limit: int) -> None:
        names = [n.strip().lower() for n in (content_encoding or "").split(",") if n.strip()]
        self._decoders = [_decoder_for(n) for n in reversed(names) if n != "identity"]
        self._limit = limit
        self._parts: list[bytes] = []
        self.size = 0
        self.raw_bytes = 0

    def feed(self, chunk: bytes) -> None:
        """Add one chunk as received; raise ``BodyTooLarge`` as soon as a limit is crossed."""
        self.raw_bytes += len(chunk)
        if self.raw_bytes > self._limit:
            raise BodyTooLarge(f"body exceeds {self._limit} bytes")
        data = chunk
        try:
            for decoder in self._decoders:
                data = decoder.decode(data, self._limit - self.size)
        except (zlib.error, brotli.error) as exc:
            raise UnsupportedEncoding(f"corrupt compressed body: {exc}") from exc
        self.size += len(data)
        if self.size > self._limit:
            raise BodyTooLarge(f"decoded body exceeds {self._limit} bytes")
        self._parts.append(data)

    def getvalue(self) -> bytes:
        return b"".join(self._parts)
