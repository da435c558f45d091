"""``newsmon api``: serve the REST API of alert subscriptions (uvicorn, loopback by default), and
``newsmon api keys create|list|revoke``: manage API keys at the console (straight in Elasticsearch).
"""

from __future__ import annotations

import argparse
import errno
import ipaddress
import json
import os
import socket
from typing import Any

from newsmon.cli.common import load, progress, table

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "api",
        help="serve the REST API of alert subscriptions; manage API keys",
        description=(
            "Serve the REST API (subscriptions, query tests, alerts, deliveries, keys; OpenAPI at "
            "/openapi.json) on the loopback interface unless --public is given. Keys: `newsmon api keys`. "
            "The admin key is the value of the environment variable api.admin_key_env "
            "(default NEWSMON_ADMIN_API_KEY)."
        ),
    )
    parser.add_argument("--host", help="interface to listen on (default: api.host, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default: api.port, 8470)")
    parser.add_argument(
        "--public", action="store_true", help="allow listening on a non-loopback interface (put TLS in front)"
    )
    parser.add_argument("--no-access-log", action="store_true", help="no line per request")
    parser.set_defaults(func=_serve)
    sub = parser.add_subparsers(dest="api_command", metavar="ACTION")
    keys = sub.add_parser("keys", help="API keys: create, list, revoke (talks to Elasticsearch directly)")
    actions = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="create a key for an owner; the key is printed once")
    create.add_argument("--owner", required=True, help="whose subscriptions the key manages, e.g. alice")
    create.add_argument("--name", required=True, help="what the key is for, e.g. 'alice laptop'")
    create.add_argument("--json", action="store_true", help="print the key and its details as JSON")
    create.set_defaults(func=_keys_create)
    listing = actions.add_parser("list", help="list keys (never their secrets)")
    listing.add_argument("--owner", help="only this owner's keys")
    listing.add_argument("--json", action="store_true", help="one JSON document per line")
    listing.set_defaults(func=_keys_list)
    revoke = actions.add_parser("revoke", help="revoke a key: it stops working at once")
    revoke.add_argument("key_id", help="the key's id (the 16 hex characters after nmk_)")
    revoke.set_defaults(func=_keys_revoke)


def is_loopback(host: str) -> bool:
    """``host`` names the loopback interface (``localhost``, 127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def log_config(access_log: bool) -> dict[str, Any]:
    """uvicorn's logging as calm ``[newsmon api]`` lines on stderr (no colours, no pids)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "calm": {"format": "[newsmon api] %(message)s"},
            "access": {
                "()": "uvicorn.logging.AccessFormatter",
                "fmt": '[newsmon api] %(client_addr)s "%(request_line)s" %(status_code)s',
                "use_colors": False,
            },
        },
        "handlers": {
            "calm": {"class": "logging.StreamHandler", "formatter": "calm", "stream": "ext://sys.stderr"},
            "access": {"class": "logging.StreamHandler", "formatter": "access", "stream": "ext://sys.stderr"},
        },
        "loggers": {
            # uvicorn's own start/stop chatter stays out; errors (and newsmon.api's warnings) show
            "uvicorn": {"handlers": ["calm"], "level": "WARNING", "propagate": False},
            "uvicorn.error": {"level": "WARNING"},
            "uvicorn.access": {
                "handlers": ["access"],
                "level": "INFO" if access_log else "WARNING",
                "propagate": False,
            },
            "newsmon.api": {"handlers": ["calm"], "level": "INFO", "propagate": False},
            "elastic_transport": {"level": "ERROR"},
        },
    }


def _admin_key_help(env: str) -> str:
    return (
        f"export {env}=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))') before `newsmon api`"
    )


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _setup_indices(settings: Any) -> None:
    from elasticsearch import ApiError, Elasticsearch, TransportError

    from alerts.store import SubscriptionStore
    from newsmon.api.keys import KeyStore

    cfg = settings.elasticsearch
    try:
        with Elasticsearch(**cfg.client_kwargs()) as es:
            KeyStore(es, settings.api.keys_index).setup(cfg, progress=lambda _: None)
            SubscriptionStore(es, settings.alerts.subscriptions_index).setup(cfg, progress=lambda _: None)
    except (ApiError, TransportError) as exc:
        progress(
            f"Elasticsearch at {cfg.url} is not usable yet ({type(exc).__name__}): the API starts anyway "
            "and answers 503 until it is back (`newsmon status`)"
        )


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from newsmon.api import create_app
    from newsmon.api.keys import MIN_ADMIN_KEY_CHARS

    settings = load(args)
    host = args.host or settings.api.host
    port = args.port if args.port is not None else settings.api.port
    if not 0 < port < 65536:
        progress(f"--port {port}: use 1..65535")
        return 2
    if not is_loopback(host) and not args.public:
        progress(
            f"refusing to listen on {host}: not a loopback interface. The API is meant for this machine "
            "(or behind a TLS reverse proxy); add --public to listen there anyway"
        )
        return 2
    env = settings.api.admin_key_env
    admin = os.environ.get(env, "")
    if admin and len(admin) < MIN_ADMIN_KEY_CHARS:
        progress(f"${env} is too short (at least {MIN_ADMIN_KEY_CHARS} characters): {_admin_key_help(env)}")
        return 2
    try:
        sock = _bind(host, port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            progress(f"port {port} on {host} is in use (another `newsmon api`?): choose one with --port")
        else:
            progress(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
        return 2
    _setup_indices(settings)
    app = create_app(settings)
    shown = f"[{host}]" if ":" in host else host
    progress(f"API on http://{shown}:{port}/api/v1 (OpenAPI: http://{shown}:{port}/openapi.json)")
    if admin:
        progress(f"admin key: configured (${env}); keys are managed with it or `newsmon api keys`")
    else:
        progress(
            f"admin key: not configured, admin endpoints (/api/v1/keys) are unavailable; to enable them: "
            f"{_admin_key_help(env)}. User keys: `newsmon api keys create --owner NAME --name WHAT`"
        )
    if not is_loopback(host):
        progress("listening on a public interface (--public): use TLS in front of it")
    config = uvicorn.Config(
        app,
        log_config=log_config(not args.no_access_log),
        server_header=False,
        timeout_graceful_shutdown=5,
        h11_max_incomplete_event_size=16 * 1024,
    )
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    progress("API stopped")
    return 0


def _store(settings: Any, es: Any) -> Any:
    from newsmon.api.keys import KeyStore

    return KeyStore(es, settings.api.keys_index)


def _with_es(args: argparse.Namespace, action: Any) -> int:
    from elasticsearch import ApiError, Elasticsearch, TransportError

    settings = load(args)
    cfg = settings.elasticsearch
    try:
        with Elasticsearch(**cfg.client_kwargs()) as es:
            return int(action(settings, es))
    except TransportError as exc:
        progress(f"Elasticsearch at {cfg.url} unreachable ({type(exc).__name__}): `newsmon status`")
        return 1
    except ApiError as exc:
        progress(f"Elasticsearch refused the request ({exc.meta.status}): {exc}")
        return 1


def _keys_create(args: argparse.Namespace) -> int:
    def create(settings: Any, es: Any) -> int:
        store = _store(settings, es)
        store.setup(settings.elasticsearch, progress=progress)
        try:
            key, token = store.create(args.owner, args.name)
        except ValueError as exc:
            progress(str(exc))
            return 2
        if args.json:
            print(json.dumps({**key.model_dump(mode="json"), "key": token}))
        else:
            print(token)
        progress(
            f"key {key.key_id} for owner {key.owner!r} ({key.name}) created. It is shown this once: "
            "store it now (only its hash is kept). Use it as `Authorization: Bearer <key>`"
        )
        return 0

    return _with_es(args, create)


def _keys_list(args: argparse.Namespace) -> int:
    def listing(settings: Any, es: Any) -> int:
        store = _store(settings, es)
        keys: list[Any] = []
        after = None
        while True:
            page, after = store.list(owner=args.owner, limit=500, after=after)
            keys.extend(page)
            if after is None:
                break
        if args.json:
            for key in keys:
                print(json.dumps(key.model_dump(mode="json")))
            return 0
        if not keys:
            print("no API keys" + (f" of {args.owner}" if args.owner else ""))
            return 0
        rows = [
            [
                k.key_id,
                k.owner,
                k.name,
                k.created_at.isoformat()[:19],
                k.last_used_at.isoformat()[:19] if k.last_used_at else "never",
            ]
            for k in keys
        ]
        print(table(["key id", "owner", "name", "created", "last used"], rows))
        return 0

    return _with_es(args, listing)


def _keys_revoke(args: argparse.Namespace) -> int:
    from newsmon.api.keys import KeyNotFound

    def revoke(settings: Any, es: Any) -> int:
        key_id = args.key_id.removeprefix("nmk_")[:16]
        try:
            key = _store(settings, es).revoke(key_id)
        except KeyNotFound:
            progress(f"no key {args.key_id!r} (list them: `newsmon api keys list`)")
            return 1
        print(f"revoked key {key.key_id} of owner {key.owner!r} ({key.name})")
        return 0

    return _with_es(args, revoke)
