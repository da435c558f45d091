"""The REST API of alert subscriptions (FastAPI): subscriptions, query tests, alerts, deliveries and
API keys under ``/api/v1``, ``/healthz`` without authentication, the OpenAPI schema at
``/openapi.json``. Served by ``newsmon api``; built by :func:`create_app`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Depends, FastAPI, Header, Path, Query, Response
from pydantic import BaseModel, ValidationError

from alerts.model import Subscription, SubscriptionSpec
from alerts.preview import RecentMatches, recent_matches
from alerts.query import QueryError
from alerts.store import SubscriptionNotFound, VersionConflict
from alerts.validation import InvalidSubscription
from newsmon.api.auth import ADMIN_OWNER, Principal, backend, caller, require_admin
from newsmon.api.backend import API_REQUEST_TIMEOUT_S, Backend
from newsmon.api.errors import ApiProblem, install_handlers, query_error_position
from newsmon.api.keys import KEY_ID_PATTERN, OWNER_PATTERN, KeyNotFound
from newsmon.api.limits import BodySizeLimit
from newsmon.api.models import (
    MASK,
    AlertOut,
    AlertPage,
    DeliveryOut,
    DeliveryPage,
    DeliveryStatus,
    ErrorResponse,
    Health,
    KeyCreate,
    KeyCreated,
    KeyOut,
    KeyPage,
    Me,
    QueryTest,
    SubscriptionOut,
    SubscriptionPage,
    SubscriptionReplace,
    SubscriptionTest,
    decode_cursor,
    encode_cursor,
    public_channel_url,
)
from newsmon.core.settings import Settings

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/api/v1"
SUBSCRIPTION_ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,99}$"
DEFAULT_PAGE = 100
MAX_PAGE = 500

_DESCRIPTIONS = {
    401: "No API key, or not a valid one",
    403: "The admin key is needed (or another owner was named)",
    404: "Not found (or another owner's: not revealed)",
    409: "The subscription changed since the given version",
    412: "If-Match does not name the current version",
    413: "Request body over the size limit",
    422: "Invalid request: `field` names the input, `position` the place in a query",
    503: "Elasticsearch is unreachable or overloaded; try again",
}


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorResponse, "description": _DESCRIPTIONS[code]} for code in codes}


_AUTH = (401, 422, 503)
_BODY = (401, 413, 422, 503)

SubId = Annotated[str, Path(pattern=SUBSCRIPTION_ID_PATTERN, max_length=100, description="subscription id")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"page size (at most {MAX_PAGE})")]
After = Annotated[
    str | None, Query(max_length=1000, description="the `next` of the previous page (opaque cursor)")
]
OwnerParam = Annotated[
    str | None,
    Query(pattern=OWNER_PATTERN, description="admin key only: act for / list this owner (default: all)"),
]
SinceParam = Annotated[
    str | None, Query(max_length=40, description="since: 30m, 12h, 7d, 2w or an ISO date/time")
]
KeyId = Annotated[str, Path(pattern=KEY_ID_PATTERN, description="the key's public id")]
Api = Annotated[Backend, Depends(backend)]
Caller = Annotated[Principal, Depends(caller)]
Admin = Annotated[Principal, Depends(require_admin)]
IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", max_length=200, description='the ETag of the version read, e.g. "3"'),
]


_Doc = TypeVar("_Doc", bound=BaseModel)


def _etag(version: int) -> str:
    return f'"{version}"'


def _if_match(value: str) -> set[int] | None:
    """Versions an If-Match value names (None for ``*``); tags that are not versions name none."""
    if value.strip() == "*":
        return None
    versions: set[int] = set()
    for part in value.split(","):
        tag = part.strip().removeprefix("W/").strip().strip('"')
        if tag.isascii() and tag.isdigit() and len(tag) <= 18:
            versions.add(int(tag))
    return versions


def _since(text: str | None, field: str) -> datetime | None:
    from newsmon.search.query import parse_since

    if text is None or not text.strip():
        return None
    try:
        return parse_since(text)
    except (QueryError, ValueError, OverflowError) as exc:
        raise ApiProblem(
            422, f"since {text!r}: use 30m, 12h, 7d, 2w or an ISO date like 2026-11-01", field=field
        ) from exc


def _cursor(after: str | None, size: int) -> list[Any] | None:
    try:
        values = decode_cursor(after)
    except ValueError as exc:
        raise ApiProblem(422, f"after: {exc}", field="query.after") from exc
    if values is not None and len(values) != size:
        raise ApiProblem(422, "after: not a cursor of this listing", field="query.after")
    return values


def _owner_filter(who: Principal, owner: str | None) -> str | None:
    """Whose objects a listing shows: the caller's own; the admin's choice (None: everybody's)."""
    if who.admin:
        return owner
    if owner is not None and owner != who.owner:
        raise ApiProblem(403, "only the admin key can see other owners' objects", field="query.owner")
    return who.owner


def _scope(who: Principal) -> str | None:
    """The owner a single-object call is scoped to (None: the admin sees every owner's)."""
    return None if who.admin else who.owner


def _no_masked_channels(spec: SubscriptionSpec) -> None:
    for n, channel in enumerate(spec.channels):
        if MASK in channel.url:
            raise ApiProblem(
                422,
                f"channels[{n}]: {public_channel_url(channel.url)} is a masked URL as the API shows it; "
                "send the full URL with its credentials (updates replace every channel)",
                code="invalid_subscription",
                field=f"body.channels[{n}].url",
            )


def _invalid(exc: InvalidSubscription, query: str) -> ApiProblem:
    position = query_error_position(exc.reason, query) if exc.field == "query" else None
    return ApiProblem(
        422, str(exc), code="invalid_subscription", field=f"body.{exc.field}", position=position
    )


def _matches(api: Backend, subject: SubscriptionSpec | str, body: Any, filters: Any = None) -> RecentMatches:
    from elasticsearch import BadRequestError

    query = subject.query if isinstance(subject, SubscriptionSpec) else subject
    since = _since(body.since, "body.since")
    try:
        return recent_matches(
            api.es, api.settings.elasticsearch.index, subject, filters, since=since, limit=body.limit
        )
    except QueryError as exc:
        raise ApiProblem(
            422,
            f"query: {exc}",
            code="invalid_query",
            field="body.query",
            position=query_error_position(str(exc), query),
        ) from exc
    except BadRequestError as exc:
        raise ApiProblem(
            422,
            "query: Elasticsearch cannot run this query (too broad a prefix or too many terms?)",
            code="invalid_query",
            field="body.query",
        ) from exc


def _subscription(api: Backend, sub_id: str, who: Principal) -> Subscription:
    try:
        return api.subscriptions.get(sub_id, owner=_scope(who))
    except SubscriptionNotFound as exc:
        raise ApiProblem(404, f"no subscription {sub_id!r}") from exc


def _expected_version(
    api: Backend, sub_id: str, who: Principal, if_match: str | None, version: int | None
) -> tuple[int | None, bool]:
    """The version a write requires, and whether it came from If-Match (412) rather than ``version``
    (409) when it is not the current one."""
    if version is not None:
        if if_match is not None:
            wanted = _if_match(if_match)
            if wanted is not None and version not in wanted:
                raise ApiProblem(
                    412, f"If-Match {if_match!r} and version {version} disagree", field="header.If-Match"
                )
        return version, False
    if if_match is None:
        return None, False
    wanted = _if_match(if_match)
    current = _subscription(api, sub_id, who)
    if wanted is not None and current.version not in wanted:
        raise ApiProblem(
            412,
            f"If-Match {if_match!r} does not name the current version {_etag(current.version)}: "
            "read the subscription again and re-apply your change",
            field="header.If-Match",
            headers={"ETag": _etag(current.version)},
        )
    return (current.version if wanted is not None else None), True


def _routes() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX)

    @router.get("/me", response_model=Me, tags=["keys"], responses=_errors(*_AUTH))
    def me(who: Caller) -> Me:
        """Who the presented key belongs to."""
        return Me(owner=who.owner, admin=who.admin, key_id=who.key_id)

    # --- keys (admin)

    @router.post(
        "/keys",
        status_code=201,
        response_model=KeyCreated,
        tags=["keys"],
        responses=_errors(*_BODY, 403),
    )
    def create_key(body: KeyCreate, response: Response, api: Api, who: Admin) -> KeyCreated:
        """Create a key for an owner. The answer holds the key itself: shown this once, only its hash
        is stored."""
        api.ensure_ready()
        key, token = api.keys.create(body.owner, body.name)
        response.headers["Location"] = f"{API_PREFIX}/keys/{key.key_id}"
        return KeyCreated(**key.model_dump(), key=token)

    @router.get("/keys", response_model=KeyPage, tags=["keys"], responses=_errors(*_AUTH, 403))
    def list_keys(
        api: Api, who: Admin, owner: OwnerParam = None, limit: Limit = DEFAULT_PAGE, after: After = None
    ) -> KeyPage:
        """Keys (of one owner with ``owner``), newest first; never their secrets."""
        from elasticsearch import BadRequestError

        try:
            keys, cursor = api.keys.list(owner=owner, limit=limit, after=_cursor(after, 2))
        except BadRequestError as exc:
            raise ApiProblem(422, "after: not a cursor of this listing", field="query.after") from exc
        return KeyPage(items=[KeyOut(**k.model_dump()) for k in keys], next=encode_cursor(cursor))

    @router.get("/keys/{key_id}", response_model=KeyOut, tags=["keys"], responses=_errors(*_AUTH, 403, 404))
    def get_key(key_id: KeyId, api: Api, who: Admin) -> KeyOut:
        """One key (without its secret)."""
        try:
            return KeyOut(**api.keys.get(key_id).model_dump())
        except KeyNotFound as exc:
            raise ApiProblem(404, f"no key {key_id!r}") from exc

    @router.delete(
        "/keys/{key_id}",
        status_code=204,
        response_class=Response,
        tags=["keys"],
        responses=_errors(*_AUTH, 403, 404),
    )
    def revoke_key(key_id: KeyId, api: Api, who: Admin) -> Response:
        """Revoke a key: it stops working at once."""
        try:
            api.keys.revoke(key_id)
        except KeyNotFound as exc:
            raise ApiProblem(404, f"no key {key_id!r}") from exc
        return Response(status_code=204)

    # --- subscriptions

    @router.get(
        "/subscriptions",
        response_model=SubscriptionPage,
        tags=["subscriptions"],
        responses=_errors(*_AUTH, 403),
    )
    def list_subscriptions(
        api: Api, who: Caller, owner: OwnerParam = None, limit: Limit = DEFAULT_PAGE, after: After = None
    ) -> SubscriptionPage:
        """Your subscriptions, ordered by id (the admin key: everybody's, or one ``owner``'s)."""
        subs, cursor = api.subscription_page(_owner_filter(who, owner), limit, _cursor(after, 1))
        return SubscriptionPage(items=[SubscriptionOut.of(s) for s in subs], next=encode_cursor(cursor))

    @router.post(
        "/subscriptions",
        status_code=201,
        response_model=SubscriptionOut,
        tags=["subscriptions"],
        responses=_errors(*_BODY, 403),
    )
    def create_subscription(
        body: SubscriptionSpec, response: Response, api: Api, who: Caller, owner: OwnerParam = None
    ) -> SubscriptionOut:
        """Create a subscription (validated: an invalid query is refused with its position and
        reason). The admin key creates for ``owner`` (default ``admin``)."""
        if not who.admin and owner is not None and owner != who.owner:
            raise ApiProblem(403, "only the admin key can create for another owner", field="query.owner")
        _no_masked_channels(body)
        api.ensure_ready()
        try:
            sub = api.subscriptions.create(body, owner=(owner or ADMIN_OWNER) if who.admin else who.owner)
        except InvalidSubscription as exc:
            raise _invalid(exc, body.query) from exc
        response.headers["Location"] = f"{API_PREFIX}/subscriptions/{sub.id}"
        response.headers["ETag"] = _etag(sub.version)
        return SubscriptionOut.of(sub)

    @router.get(
        "/subscriptions/{sub_id}",
        response_model=SubscriptionOut,
        tags=["subscriptions"],
        responses=_errors(*_AUTH, 404),
    )
    def get_subscription(sub_id: SubId, response: Response, api: Api, who: Caller) -> SubscriptionOut:
        """One subscription; its ``ETag`` is the version to send back as ``If-Match``."""
        sub = _subscription(api, sub_id, who)
        response.headers["ETag"] = _etag(sub.version)
        return SubscriptionOut.of(sub)

    @router.put(
        "/subscriptions/{sub_id}",
        response_model=SubscriptionOut,
        tags=["subscriptions"],
        responses=_errors(*_BODY, 404, 409, 412),
    )
    def replace_subscription(
        sub_id: SubId,
        body: SubscriptionReplace,
        response: Response,
        api: Api,
        who: Caller,
        if_match: IfMatch = None,
    ) -> SubscriptionOut:
        """Replace a subscription with a whole new spec (full channel URLs: masked ones are refused).
        With ``If-Match`` (the ETag) or ``version`` it only applies to that version: 412 / 409
        otherwise."""
        spec = body.spec()
        _no_masked_channels(spec)
        expected, from_header = _expected_version(api, sub_id, who, if_match, body.version)
        api.ensure_ready()
        try:
            sub = api.subscriptions.replace(sub_id, spec, owner=_scope(who), expected_version=expected)
        except InvalidSubscription as exc:
            raise _invalid(exc, spec.query) from exc
        except SubscriptionNotFound as exc:
            raise ApiProblem(404, f"no subscription {sub_id!r}") from exc
        except VersionConflict as exc:
            raise ApiProblem(412 if from_header else 409, str(exc)) from exc
        response.headers["ETag"] = _etag(sub.version)
        return SubscriptionOut.of(sub)

    @router.delete(
        "/subscriptions/{sub_id}",
        status_code=204,
        response_class=Response,
        tags=["subscriptions"],
        responses=_errors(*_AUTH, 404, 409, 412),
    )
    def delete_subscription(
        sub_id: SubId,
        api: Api,
        who: Caller,
        if_match: IfMatch = None,
        version: Annotated[int | None, Query(ge=1, description="only if still at this version")] = None,
    ) -> Response:
        """Delete a subscription (its past alerts and deliveries stay)."""
        expected, from_header = _expected_version(api, sub_id, who, if_match, version)
        try:
            api.subscriptions.delete(sub_id, owner=_scope(who), expected_version=expected)
        except SubscriptionNotFound as exc:
            raise ApiProblem(404, f"no subscription {sub_id!r}") from exc
        except VersionConflict as exc:
            raise ApiProblem(412 if from_header else 409, str(exc)) from exc
        return Response(status_code=204)

    @router.post(
        "/subscriptions/{sub_id}/test",
        response_model=RecentMatches,
        tags=["subscriptions"],
        responses=_errors(*_BODY, 404),
    )
    def test_subscription(
        sub_id: SubId, api: Api, who: Caller, body: Annotated[SubscriptionTest | None, Body()] = None
    ) -> RecentMatches:
        """The recent articles this subscription matches (query and filters), newest first."""
        sub = _subscription(api, sub_id, who)
        return _matches(api, sub.spec(), body or SubscriptionTest())

    @router.post(
        "/query/test", response_model=RecentMatches, tags=["subscriptions"], responses=_errors(*_BODY)
    )
    def test_query(body: QueryTest, api: Api, who: Caller) -> RecentMatches:
        """The recent articles a subscription with this query and filters would match, newest first
        (422 with the position and reason for a query a subscription could not be saved with)."""
        return _matches(api, body.query, body, body.filters)

    # --- alerts and deliveries

    @router.get("/alerts", response_model=AlertPage, tags=["alerts"], responses=_errors(*_AUTH, 403))
    def list_alerts(
        api: Api,
        who: Caller,
        subscription_id: Annotated[str | None, Query(max_length=100)] = None,
        since: SinceParam = None,
        owner: OwnerParam = None,
        limit: Limit = DEFAULT_PAGE,
        after: After = None,
    ) -> AlertPage:
        """Your alerts (one per subscription and article), newest match first; ``since`` is the
        time of the match."""
        docs, cursor = api.alert_page(
            _owner_filter(who, owner),
            subscription_id,
            _since(since, "query.since"),
            limit,
            _cursor(after, 2),
        )
        alerts = [_lenient(AlertOut, doc) for doc in docs]
        return AlertPage(items=[a for a in alerts if a is not None], next=encode_cursor(cursor))

    @router.get("/deliveries", response_model=DeliveryPage, tags=["alerts"], responses=_errors(*_AUTH, 403))
    def list_deliveries(
        api: Api,
        who: Caller,
        subscription_id: Annotated[str | None, Query(max_length=100)] = None,
        alert_id: Annotated[str | None, Query(max_length=100)] = None,
        status: DeliveryStatus | None = None,
        since: SinceParam = None,
        owner: OwnerParam = None,
        limit: Limit = DEFAULT_PAGE,
        after: After = None,
    ) -> DeliveryPage:
        """Your deliveries (an instant alert or a digest to one channel, with status and attempts),
        newest first; channel URLs masked."""
        docs, cursor = api.delivery_page(
            _owner_filter(who, owner),
            subscription_id,
            alert_id,
            status,
            _since(since, "query.since"),
            limit,
            _cursor(after, 2),
        )
        items = []
        for doc in docs:
            if isinstance(doc.get("channel"), str):
                doc = {**doc, "channel": public_channel_url(doc["channel"])}
            delivery = _lenient(DeliveryOut, doc)
            if delivery is not None:
                items.append(delivery)
        return DeliveryPage(items=items, next=encode_cursor(cursor))

    return router


def _lenient(model: type[_Doc], doc: dict[str, Any]) -> _Doc | None:
    """``doc`` as ``model``, without the fields whose values have an unexpected type (documents are
    written by other components: a listing must not fail on one odd document); None when a required
    field is unusable."""
    data = {name: doc[name] for name in model.model_fields if doc.get(name) is not None}
    while True:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            bad = {str(err["loc"][0]) for err in exc.errors() if err.get("loc")}
            if not bad & set(data) or any(model.model_fields[name].is_required() for name in bad):
                return None
            for name in bad:
                data.pop(name, None)


def create_app(
    settings: Settings, es_client: Any = None, environ: Mapping[str, str] | None = None
) -> FastAPI:
    """The API app. ``es_client`` (an ``elasticsearch.Elasticsearch``) defaults to one built from
    ``settings.elasticsearch`` (closed at shutdown); ``environ`` (default ``os.environ``) holds the
    admin key under ``settings.api.admin_key_env``."""
    own_client = es_client is None
    if es_client is None:
        from elasticsearch import Elasticsearch

        kwargs = settings.elasticsearch.client_kwargs()
        kwargs["request_timeout"] = min(float(kwargs["request_timeout"]), API_REQUEST_TIMEOUT_S)
        es_client = Elasticsearch(**kwargs)
    api = Backend(settings, es_client, os.environ if environ is None else environ)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if own_client:
            es_client.close()

    admin_note = (
        f"The admin key is the value of the environment variable `{settings.api.admin_key_env}`."
        if api.admin.configured
        else f"No admin key is configured (set `{settings.api.admin_key_env}`): admin endpoints answer 403."
    )
    app = FastAPI(
        title="newsmon API",
        version="1",
        summary="Alert subscriptions, query tests, alerts and deliveries of newsmon.",
        description=(
            "Authenticate with `Authorization: Bearer <key>` or `X-API-Key: <key>`. A key belongs to one "
            "owner and sees that owner's objects only (other owners' answer 404). Keys are created by "
            f"the admin (`POST /api/v1/keys` or `newsmon api keys create`). {admin_note} Errors are "
            '`{"error": {"code", "message", "field"?, "position"?}}`. Request bodies are limited to '
            f"{settings.api.max_body_bytes} bytes. Channel URLs are shown masked; an update resends them "
            "in full."
        ),
        lifespan=lifespan,
    )
    app.state.backend = api
    install_handlers(app)

    @app.get("/healthz", response_model=Health, tags=["health"])
    def healthz() -> Health:
        """Liveness (no key needed): the API answers; whether Elasticsearch does."""
        return Health(elasticsearch="available" if api.available() else "unavailable")

    app.include_router(_routes())
    app.add_middleware(BodySizeLimit, max_bytes=settings.api.max_body_bytes)
    return app
