"""Helpers for connector integration tests: a real HTTP server in a thread, feed lists, reading Kafka."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml
from kafka import KafkaConsumer

from connectors.runner import PollReport, poll_once
from connectors.state import FeedState, StateStore, state_file
from newsmon.core.record import ArticleRecord, decode_record
from newsmon.core.settings import Settings


@dataclass
class Reply:
    """What the test server answers: status, headers, body; optional delay or byte-by-byte drip."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    drip_s: float | None = None  # pause between 1-byte writes (a "slowloris" server)
    chunked: bool = False  # no Content-Length, body streamed in chunks


@dataclass
class Seen:
    """One request the server received."""

    path: str
    headers: dict[str, str]


Route = Reply | Callable[[Seen], Reply]


class FeedServer:
    """A programmable HTTP/1.1 server on 127.0.0.1 in a background thread."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                seen = Seen(self.path, {k.lower(): v for k, v in self.headers.items()})
                server.requests.append(seen)
                route = server.routes.get(self.path.split("?", 1)[0]) or Reply(404, b"not found")
                reply = route(seen) if callable(route) else route
                time.sleep(reply.delay_s)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._send(reply)

            def _send(self, reply: Reply) -> None:
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                if reply.chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for start in range(0, len(reply.body), 65536):
                        chunk = reply.body[start : start + 65536]
                        self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                    return
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if reply.drip_s is None:
                    self.wfile.write(reply.body)
                    return
                for byte in reply.body:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(reply.drip_s)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def hits(self, path: str) -> list[Seen]:
        return [r for r in self.requests if r.path.split("?", 1)[0] == path]

    def start(self) -> FeedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def write_feeds(path: Path, *feeds: dict[str, Any], **defaults: Any) -> Path:
    """Write a feed list; feeds default to ``allow_private_networks: true`` (the test server is local)."""
    entries = [{"allow_private_networks": True, **feed} for feed in feeds]
    path.write_text(yaml.safe_dump({"version": 1, "defaults": defaults, "feeds": entries}), encoding="utf-8")
    return path


def run(settings: Settings, feeds: Path, state_dir: Path, **kwargs: Any) -> PollReport:
    """One pass, forcing every feed (tests poll again right away)."""
    kwargs.setdefault("force", True)
    return poll_once(settings, feeds, state_dir=state_dir, **kwargs)


def feed_state(settings: Settings, state_dir: Path, feed_id: str) -> FeedState:
    store = StateStore(state_file(state_dir, settings.kafka.articles_topic))
    try:
        return store.load_feeds()[feed_id]
    finally:
        store.close()


def read_topic(
    settings: Settings, *, expect: int | None = None, timeout_s: float = 15.0
) -> list[ArticleRecord]:
    """Every record on the test topic (waits until ``expect`` records arrived, or a quiet period)."""
    consumer = KafkaConsumer(
        settings.kafka.articles_topic,
        **settings.kafka.client_kwargs(),
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=2000 if expect is None else int(timeout_s * 1000),
    )
    records: list[ArticleRecord] = []
    deadline = time.monotonic() + timeout_s
    try:
        for message in consumer:
            records.append(decode_record(message.value))
            if expect is not None and len(records) >= expect:
                break
            if time.monotonic() > deadline:
                break
        if expect is not None:  # make sure nothing beyond the expected records follows
            for batch in consumer.poll(timeout_ms=1500).values():
                records.extend(decode_record(m.value) for m in batch)
    finally:
        consumer.close()
    return records


def rss(*items: dict[str, str], title: str = "Test feed", extra: str = "", encoding: str = "utf-8") -> bytes:
    """A small RSS 2.0 document; each item needs title and link, may have pubDate and description."""
    body = "".join(
        f"<item><title>{i['title']}</title><link>{i['link']}</link>"
        f"<description>{i.get('description', i['title'])}</description>"
        + (f"<pubDate>{i['pubDate']}</pubDate>" if "pubDate" in i else "")
        + "</item>"
        for i in items
    )
    head = f'<?xml version="1.0" encoding="{encoding}"?>' if encoding else '<?xml version="1.0"?>'
    doc = f'{head}<rss version="2.0"><channel><title>{title}</title><link>https://news.example/</link>{extra}{body}</channel></rss>'
    return doc.encode(encoding or "utf-8")


def item(n: int, site: str = "https://news.example") -> dict[str, str]:
    return {
        "title": f"Article {n}",
        "link": f"{site}/articles/{n}",
        "pubDate": f"Wed, 15 Oct 2025 {n % 24:02d}:00:00 GMT",
    }
