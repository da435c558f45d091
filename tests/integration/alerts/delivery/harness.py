"""Real receivers for the delivery tests: an HTTP webhook receiver and an SMTP server with STARTTLS
(aiosmtpd, a self-signed certificate made here and trusted through ``SSL_CERT_FILE``), plus helpers
to produce alert messages and to run ``NotifyService`` in a thread."""

from __future__ import annotations

import datetime as dt
import email
import hashlib
import hmac
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from alerts.delivery.service import NotifyService, ServiceOptions
from alerts.model import AlertArticle, AlertMessage, alert_id
from newsmon.core.settings import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Call:
    """One request the webhook receiver got."""

    at: float
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def signed_with(self, secret: bytes) -> bool:
        expected = "sha256=" + hmac.new(secret, self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(self.headers.get("x-newsmon-signature", ""), expected)


@dataclass
class WebhookReceiver:
    """An HTTP server on loopback recording every POST; ``respond`` picks the status (200 default).
    ``on_call`` runs before the answer (e.g. to kill the service mid-request)."""

    port: int = 0
    respond: Callable[[Call], int] = lambda call: 200
    on_call: Callable[[Call], None] | None = None
    calls: list[Call] = field(default_factory=list)
    answered: list[int] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                call = Call(
                    time.monotonic(), {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length)
                )
                receiver.calls.append(call)
                if receiver.on_call is not None:
                    receiver.on_call(call)
                status = receiver.respond(call)
                receiver.answered.append(status)
                try:
                    self.send_response(status)
                    self.send_header("content-length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the client went away (a killed service)

            def log_message(self, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 / localhost and its key (PEM files in ``directory``)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "newsmon test SMTP")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@dataclass
class Mail:
    """One e-mail the SMTP server accepted."""

    at: float
    sender: str
    recipients: list[str]
    message: EmailMessage
    tls: bool

    def part(self, content_type: str) -> str | None:
        for part in self.message.walk():
            if part.get_content_type() == content_type:
                return str(part.get_content())
        return None


class SmtpServer:
    """aiosmtpd on loopback requiring STARTTLS; :attr:`mails` collects what it accepted."""

    def __init__(self, cert: Path, key: Path) -> None:
        from aiosmtpd.controller import Controller

        self.mails: list[Mail] = []
        self.port = free_port()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(cert), str(key))
        server = self

        class Handler:
            async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
                message = email.message_from_bytes(envelope.content, policy=policy.default)
                assert isinstance(message, EmailMessage)
                tls = session.ssl is not None
                server.mails.append(
                    Mail(time.monotonic(), envelope.mail_from, list(envelope.rcpt_tos), message, tls)
                )
                return "250 OK"

        self._controller = Controller(
            Handler(), hostname="127.0.0.1", port=self.port, tls_context=context, require_starttls=True
        )

    def url(self, to: str = "reader@example.org") -> str:
        return f"mailtos://127.0.0.1:{self.port}?mode=starttls&from=newsmon@example.org&to={to}"

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


def alert_message(
    sub: Any, n: int, title: str | None = None, matched_at: dt.datetime | None = None
) -> AlertMessage:
    article_id = f"article-{n}-{sub.id}"
    return AlertMessage(
        alert_id=alert_id(sub.id, article_id),
        subscription_id=sub.id,
        subscription_version=sub.version,
        owner=sub.owner,
        subscription_name=sub.name,
        mode=sub.mode,
        query=sub.query,
        article=AlertArticle(
            id=article_id,
            title=title if title is not None else f"Article {n} about Minsk",
            url=f"https://news.example.org/{n}?a=1&b=2",
            published_at="2026-11-30T12:00:00Z",
            language="en",
            source="Example News",
            tags=["belarus"],
            snippet=f"Snippet {n}: courts & <detainees> in Minsk.",
        ),
        matched_at=matched_at or dt.datetime.now(dt.UTC),
    )


def produce(settings: Settings, messages: list[AlertMessage]) -> float:
    """Produce ``messages`` to the alerts topic (acks=all); returns the monotonic time after flushing."""
    from kafka import KafkaProducer

    producer = KafkaProducer(**settings.kafka.client_kwargs(), acks="all", linger_ms=0)
    try:
        for message in messages:
            producer.send(settings.alerts.topic, key=message.key, value=message.model_dump_json().encode())
        producer.flush(timeout=30)
        return time.monotonic()
    finally:
        producer.close(timeout=5)


class ServiceThread:
    """``NotifyService`` running in a thread; :meth:`stop` stops it and waits."""

    def __init__(self, settings: Settings, options: ServiceOptions, environ: dict[str, str]) -> None:
        self.service = NotifyService(settings, options, environ=environ)
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.service.run()
        except BaseException as exc:  # surfaced by the test
            self.error = exc

    def start(self, ready_timeout_s: float | None = 60.0) -> ServiceThread:
        """Start; wait until the consumer has partitions unless ``ready_timeout_s`` is None."""
        self._thread.start()
        if ready_timeout_s is not None and not self.service.ready.wait(ready_timeout_s):
            raise AssertionError(
                f"notify service did not get partitions within {ready_timeout_s} s: {self.error}"
            )
        return self

    def wait(self, timeout_s: float) -> None:
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            raise AssertionError(f"notify service still running after {timeout_s} s")
        if self.error is not None:
            raise self.error

    def stop(self) -> None:
        self.service.stop()
        self._thread.join(30)
        if self.error is not None:
            raise self.error
