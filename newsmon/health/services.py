"""Service facts for ``newsmon status``: the local services via ``LocalServices.status()`` when the
settings point at them, otherwise a direct, short probe of the configured Kafka / Elasticsearch."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from elasticsearch import ApiError, Elasticsearch, TransportError

from newsmon.core.kafka_lag import KafkaUnavailable, cluster_topics
from newsmon.core.settings import ElasticsearchSettings, KafkaSettings, Settings
from newsmon.health.facts import ServiceFact
from newsmon.services import LocalServices, ServiceError, ServiceStatus

__all__ = ["collect_services", "es_client", "same_endpoint"]

logger = logging.getLogger(__name__)

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def same_endpoint(configured: str, local: str) -> bool:
    """True if ``configured`` (``host:port`` list or URL) names the single local ``host:port``/URL."""
    if "," in configured.strip(","):
        return False
    a, b = (urlsplit(v if "//" in v else f"//{v.strip(',')}") for v in (configured, local))
    try:
        ports = a.port, b.port
    except ValueError:
        return False
    same_host = a.hostname == b.hostname or {a.hostname, b.hostname} <= _LOOPBACK
    return same_host and ports[0] == ports[1] and (a.scheme or "http") == (b.scheme or "http")


def es_client(settings: ElasticsearchSettings, timeout_s: float) -> Elasticsearch:
    """A client that gives up after ``timeout_s`` without retrying (status must stay quick)."""
    client = Elasticsearch(**{**settings.client_kwargs(), "request_timeout": timeout_s})
    return client.options(request_timeout=timeout_s, max_retries=0, retry_on_timeout=False)


def collect_services(settings: Settings, timeout_s: float) -> tuple[ServiceFact, ...]:
    """Kafka, Elasticsearch and (for the Prism runner) the Prism binary."""
    local = LocalServices(settings.services, progress=lambda _line: None)
    kafka_local = same_endpoint(settings.kafka.bootstrap_servers, local.kafka_bootstrap)
    es_local = same_endpoint(settings.elasticsearch.url, local.elasticsearch_url)
    wanted = [name for name, is_local in (("kafka", kafka_local), ("elasticsearch", es_local)) if is_local]
    if settings.pipeline.runner == "prism" and settings.pipeline.prism_location is None:
        wanted.append("prism")
    try:
        statuses = {s.name: _from_local(s) for s in local.status(wanted)} if wanted else {}
    except ServiceError as exc:  # e.g. an unreadable pid file
        logger.warning("local service status failed: %s", exc)
        statuses = {}
    facts = [
        statuses.get("kafka") or _probe_kafka(settings.kafka, timeout_s),
        statuses.get("elasticsearch") or _probe_elasticsearch(settings.elasticsearch, timeout_s),
    ]
    if "prism" in statuses:
        facts.append(statuses["prism"])
    return tuple(facts)


def _from_local(status: ServiceStatus) -> ServiceFact:
    return ServiceFact(
        name=status.name,
        endpoint=status.endpoint,
        healthy=status.healthy,
        local=True,
        state=status.state,
        detail=status.detail,
        pid=status.pid,
        required=status.name != "prism",
    )


def _probe_kafka(settings: KafkaSettings, timeout_s: float) -> ServiceFact:
    try:
        topics = cluster_topics(settings, timeout_s=timeout_s)
    except KafkaUnavailable as exc:
        logger.debug("kafka probe failed: %s", exc)
        detail = f"unreachable (no answer within {timeout_s:g}s)"
        return ServiceFact("kafka", settings.bootstrap_servers, False, False, "unreachable", detail)
    return ServiceFact(
        "kafka", settings.bootstrap_servers, True, False, "healthy", f"answers ({len(topics)} topics)"
    )


def _probe_elasticsearch(settings: ElasticsearchSettings, timeout_s: float) -> ServiceFact:
    url = settings.url
    try:
        health = es_client(settings, timeout_s).cluster.health()
    except ApiError as exc:
        return ServiceFact(
            "elasticsearch", url, False, False, "unhealthy", f"cluster health refused ({exc.meta.status})"
        )
    except TransportError as exc:
        logger.debug("elasticsearch probe failed: %s", exc)
        detail = f"unreachable ({type(exc).__name__})"
        return ServiceFact("elasticsearch", url, False, False, "unreachable", detail)
    colour = str(health.get("status", "unknown"))
    healthy = colour in ("green", "yellow")
    detail = f"cluster {health.get('cluster_name', '?')} is {colour}"
    return ServiceFact("elasticsearch", url, healthy, False, "healthy" if healthy else colour, detail)
