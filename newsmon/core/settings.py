"""Typed, validated settings for every newsmon component.

Resolution order (later wins): model defaults -> YAML file -> environment variables.
The YAML file is ``--config PATH``, else ``$NEWSMON_CONFIG``, else ``config/newsmon.yaml``.
Environment overrides use ``NEWSMON_<SECTION>__<FIELD>``, e.g. ``NEWSMON_ELASTICSEARCH__PASSWORD``
(secrets belong there, never in YAML); secret values are ``SecretStr`` and are never logged.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

__all__ = [
    "AlertsSettings",
    "ApiSettings",
    "ConnectorsSettings",
    "ElasticsearchSettings",
    "KafkaSettings",
    "PipelineSettings",
    "ServicesSettings",
    "Settings",
    "SettingsError",
    "load_settings",
]

_SOURCE_ROOT = Path(__file__).resolve().parents[2]
# A source checkout (editable install) keeps config/ and .state/ beside pyproject.toml; an installed
# package (e.g. the Docker image) uses the working directory instead.
PROJECT_ROOT = _SOURCE_ROOT if (_SOURCE_ROOT / "pyproject.toml").exists() else Path.cwd()
DEFAULT_CONFIG = PROJECT_ROOT / "config" / "newsmon.yaml"
ENV_PREFIX = "NEWSMON_"


class SettingsError(ValueError):
    """A settings file or environment override is invalid; the message names file and field."""


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class KafkaSettings(_Section):
    """Where connectors publish and the pipeline reads (used by both, and by the local broker)."""

    bootstrap_servers: str = "127.0.0.1:9092"
    articles_topic: str = "newsmon.articles.v1"
    dead_letter_topic: str = "newsmon.articles.dlq.v1"
    consumer_group: str = "newsmon-pipeline"
    partitions: int = Field(default=3, ge=1, le=1000)
    replication_factor: int = Field(default=1, ge=1, le=10)
    # Largest record the articles topic accepts (topic ``max.message.bytes``): an oversized article
    # reaches the pipeline and is dead-lettered with its cause rather than vanishing at the producer.
    max_message_bytes: int = Field(default=8 * 1024 * 1024, ge=1024 * 1024, le=64 * 1024 * 1024)
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None

    def client_kwargs(self) -> dict[str, Any]:
        """Connection keyword arguments shared by kafka-python producers, consumers and admins."""
        kwargs: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers.split(","),
            "security_protocol": self.security_protocol,
        }
        if self.sasl_mechanism:
            kwargs["sasl_mechanism"] = self.sasl_mechanism
            kwargs["sasl_plain_username"] = self.sasl_username
            kwargs["sasl_plain_password"] = (
                self.sasl_password.get_secret_value() if self.sasl_password else None
            )
        return kwargs


class ElasticsearchSettings(_Section):
    """The Elasticsearch cluster the pipeline indexes into and alerts/search read from."""

    url: str = "http://127.0.0.1:9201"
    index: str = "newsmon-articles"
    username: str | None = None
    password: SecretStr | None = None
    api_key: SecretStr | None = None
    verify_certs: bool = True
    ca_certs: Path | None = None  # PEM file of the CA that signed the cluster's certificate (TLS)
    bulk_size: int = Field(default=500, ge=1, le=10_000)
    max_retries: int = Field(default=5, ge=0, le=20)
    request_timeout_s: float = Field(default=30.0, gt=0)
    number_of_shards: int = Field(default=1, ge=1, le=1024)
    number_of_replicas: int = Field(default=0, ge=0, le=10)
    #: how often new documents become searchable (Elasticsearch ``index.refresh_interval``, e.g.
    #: ``1s``, ``500ms``); shorter is fresher search at more indexing work. Applied to the articles
    #: index at every ``newsmon es setup`` / pipeline start, existing indices included.
    refresh_interval: str = Field(default="1s", pattern=r"^[1-9][0-9]*(ms|s|m)$")

    @field_validator("index")
    @classmethod
    def _index_name(cls, value: str) -> str:
        if value != value.lower() or any(c in value for c in ' "*\\<|,>/?'):
            raise ValueError('index names must be lower-case without spaces or \\/*?"<>|,')
        return value

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``elasticsearch.Elasticsearch``."""
        kwargs: dict[str, Any] = {
            "hosts": [self.url],
            "request_timeout": self.request_timeout_s,
            "verify_certs": self.verify_certs,
        }
        if self.ca_certs is not None:
            kwargs["ca_certs"] = str(self.ca_certs)
        if self.api_key:
            kwargs["api_key"] = self.api_key.get_secret_value()
        elif self.username:
            secret = self.password.get_secret_value() if self.password else ""
            kwargs["basic_auth"] = (self.username, secret)
        return kwargs


class ServicesSettings(_Section):
    """Local services started by ``newsmon services up`` (development, demo and tests)."""

    state_dir: Path = PROJECT_ROOT / ".state"
    cache_dir: Path = Path(os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache"))) / "newsmon"
    kafka_version: str = "4.1.1"
    elasticsearch_version: str = "8.19.21"
    beam_version: str = "2.73.0"
    kafka_port: int = Field(default=9092, ge=1024, le=65535)
    kafka_controller_port: int = Field(default=9093, ge=1024, le=65535)
    elasticsearch_port: int = Field(default=9201, ge=1024, le=65535)
    elasticsearch_transport_port: int = Field(default=9301, ge=1024, le=65535)
    kafka_heap: str = "512m"
    elasticsearch_heap: str = "768m"
    # Extra elasticsearch.yml settings for the local node (e.g. a small write queue in fault tests).
    elasticsearch_node_settings: dict[str, str | int | float | bool] = Field(default_factory=dict)
    # Build (once, with Maven) and install newsmon's analysis plugin: english, russian, german, polish,
    # ukrainian and belarusian analyzers, which the local distribution lacks (docs/decisions/0008).
    elasticsearch_analysis_plugin: bool = True
    java_home: Path | None = None
    maven_repository: str = "https://repo.maven.apache.org/maven2"
    start_timeout_s: float = Field(default=180.0, gt=0)
    # Beam's Flink job server with an embedded Flink (`newsmon services up --only flink`). Maven Central
    # serves no Flink job server for the Python SDK's Beam version; this pair is the newest that
    # resolves there and runs the pipeline (docs/decisions/0011-flink-version-pairing.md).
    flink_beam_version: str = "2.62.0"
    flink_version: str = "1.19"
    flink_job_port: int = Field(default=8099, ge=1024, le=65535)
    flink_artifact_port: int = Field(default=8098, ge=1024, le=65535)
    # The embedded Flink's REST API (jobs, cancel, thread dumps): the first free port of this port and
    # the nine after it (each job gets its own embedded cluster while it runs).
    flink_rest_port: int = Field(default=8081, ge=1024, le=65526)
    flink_heap: str = "1g"


class PipelineSettings(_Section):
    """How the Beam pipeline runs: runner choice and its options (docs/SCALING.md for Flink and
    Dataflow)."""

    runner: Literal["prism", "flink", "dataflow", "direct"] = "prism"
    prism_location: Path | None = None
    # Flink: unset, the local job server of `newsmon services` with its embedded Flink. A real cluster:
    # its JobManager REST address (host:8081); Beam then starts a job server for each job that submits
    # there, and the SDK workers need `flink_environment_type` EXTERNAL, PROCESS or DOCKER.
    flink_master: str | None = None
    # An already running Beam job server (host:8099, e.g. the docker-compose `flink` profile's); its
    # cluster's REST address goes in `flink_master` (newsmon cancels jobs there).
    flink_job_endpoint: str | None = None
    flink_environment_type: Literal["LOOPBACK", "EXTERNAL", "PROCESS", "DOCKER"] = "LOOPBACK"
    flink_environment_config: str | None = None  # e.g. the EXTERNAL worker pool, localhost:50000
    # Flink restarts a failed job this often (then newsmon's supervisor starts a new one). Flink
    # checkpoints are off by default: the committed Kafka offsets are the pipeline's recovery point.
    flink_execution_retries: int = Field(default=2, ge=0, le=100)
    flink_checkpointing_interval_ms: int | None = Field(default=None, ge=100)
    # Flink closes a bundle after this long (Beam's maxBundleTimeMills, 1000 by default). The Kafka
    # read polls once per bundle and resumes in the next one, and the Elasticsearch writes and
    # offset commits happen when a bundle finishes, so this bounds how long an article waits.
    flink_max_bundle_time_ms: int = Field(default=100, ge=10, le=60_000)
    # Parallel instances of the pipeline (Flink parallelism; Dataflow's worker cap): 0 follows the
    # articles topic's partition count when the job starts.
    parallelism: int = Field(default=0, ge=0, le=1000)
    # A job that reads nothing for this long while the topic has unread records is reported, its
    # runner's thread stacks are dumped, and it is restarted (0: never).
    stall_timeout_s: float = Field(default=300.0, ge=0)
    extra_pipeline_args: list[str] = Field(default_factory=list)
    poll_timeout_ms: int = Field(default=500, ge=10, le=60_000)
    # Records per Kafka poll, and so per bundle and partition: a backlog drains faster in large
    # bundles (the bundle's bulk requests overlap its enrichment; docs/BENCHMARKS.md), and a crash
    # replays at most this many uncommitted records per partition.
    max_records_per_poll: int = Field(default=2000, ge=1, le=100_000)
    # Helper processes per SDK worker that run the enricher (pipeline/enrich_pool.py). "auto": where
    # all of the pipeline's Python runs in one process (Prism, Flink with LOOPBACK), one per core
    # beyond the first (at most 4); otherwise none (the parallelism is several SDK workers).
    enrich_processes: int | Literal["auto"] = Field(default="auto")

    @field_validator("enrich_processes")
    @classmethod
    def _enrich_processes_range(cls, value: int | str) -> int | str:
        if isinstance(value, int) and not 0 <= value <= 64:
            raise ValueError('must be "auto" or a number of processes from 0 (none) to 64')
        return value


class ConnectorsSettings(_Section):
    """Feed connectors (``connectors/``): politeness, limits, state and Kafka producer tuning."""

    state_dir: Path | None = None  # default: services.state_dir / "connectors"
    user_agent: str = "newsmon/0.1 (news feed monitor; python-httpx)"  # add a contact URL in production
    allow_private_networks: bool = False
    trusted_private_hosts: list[str] = Field(default_factory=list)  # e.g. a local RSS-Bridge
    max_concurrency: int = Field(default=64, ge=1, le=2000)
    per_host_concurrency: int = Field(default=2, ge=1, le=64)
    connect_timeout_s: float = Field(default=10.0, gt=0)
    read_timeout_s: float = Field(default=30.0, gt=0)
    fetch_deadline_s: float = Field(default=120.0, gt=0)
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    max_redirects: int = Field(default=5, ge=0, le=20)
    max_items_per_feed: int = Field(default=200, ge=1, le=10_000)
    park_after_failures: int = Field(default=10, ge=1, le=1000)
    park_retry_s: float = Field(default=86_400.0, gt=0)
    revalidate_every: int = Field(default=12, ge=1, le=10_000)
    seen_retention_days: float = Field(default=90.0, gt=0)
    outbox_max: int = Field(default=100_000, ge=100)
    parse_workers: int = Field(default=0, ge=0, le=64)  # 0: automatic
    publish_batch: int = Field(default=2000, ge=1, le=100_000)
    kafka_compression: Literal["gzip", "zstd", "snappy", "lz4"] | None = "zstd"  # zstandard ships with Beam
    kafka_linger_ms: int = Field(default=50, ge=0, le=10_000)
    kafka_batch_size: int = Field(default=256 * 1024, ge=1024)
    kafka_timeout_s: float = Field(default=60.0, gt=0)
    fulltext_per_feed: int = Field(default=20, ge=0, le=1000)


#: shortest ``alerts.retention_days`` (other than 0): longer than the alerts topic keeps records
MIN_RETENTION_DAYS = 8


class AlertsSettings(_Section):
    """Alert subscriptions: where they are stored, the alerts topic between the pipeline's matcher and
    the delivery service (``newsmon notify``), and how delivery retries. Used by the pipeline, the
    API, the CLI and the delivery service."""

    enabled: bool = True
    # YAML import file loaded by `newsmon run` / `newsmon subscriptions import` (not read by the pipeline)
    subscriptions_path: Path = PROJECT_ROOT / "config" / "subscriptions.yaml"
    index: str = "newsmon-alerts"
    subscriptions_index: str = "newsmon-subscriptions"
    deliveries_index: str = "newsmon-deliveries"
    topic: str = "newsmon.alerts.v1"
    dead_letter_topic: str = "newsmon.alerts.dlq.v1"
    notify_consumer_group: str = "newsmon-notify"
    # how often the pipeline's matcher looks for created, changed and deleted subscriptions
    reload_interval_s: float = Field(default=5.0, gt=0, le=60)
    # delivery: attempts per channel before a dead letter, with capped exponential backoff between
    delivery_max_attempts: int = Field(default=20, ge=1, le=1000)
    delivery_backoff_initial_s: float = Field(default=1.0, gt=0, le=3600)
    delivery_backoff_max_s: float = Field(default=300.0, gt=0, le=86400)
    delivery_timeout_s: float = Field(default=10.0, gt=0, le=300)
    # name of the environment variable holding the default HMAC secret of webhook channels
    webhook_secret_env: str = "NEWSMON_WEBHOOK_SECRET"
    # digests: hourly ones at the top of each hour, daily ones at this hour, in this time zone
    digest_timezone: str = "UTC"
    daily_digest_hour: int = Field(default=7, ge=0, le=23)
    # `newsmon notify` deletes final delivery records, kept alert messages and the alerts index's
    # alerts older than this (0: keep them for ever); the articles index is never touched. At least
    # 8 days: a delivery record is what stops a replayed alert (the alerts topic keeps 7 days by
    # default) from being delivered twice.
    retention_days: int = Field(default=90, ge=0, le=36_500)

    @field_validator("retention_days")
    @classmethod
    def _retention_floor(cls, value: int) -> int:
        if 0 < value < MIN_RETENTION_DAYS:
            raise ValueError(
                f"must be 0 (keep for ever) or at least {MIN_RETENTION_DAYS} days: shorter than the alerts "
                "topic's retention, a replayed alert would be delivered again"
            )
        return value


class ApiSettings(_Section):
    """``newsmon api``: the REST API for subscriptions, alerts and deliveries (loopback by default).
    The admin key is read from the environment variable named by ``admin_key_env``, never from YAML."""

    host: str = "127.0.0.1"
    port: int = Field(default=8470, ge=1, le=65535)
    admin_key_env: str = "NEWSMON_ADMIN_API_KEY"
    keys_index: str = "newsmon-api-keys"
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=16 * 1024 * 1024)


class Settings(_Section):
    """All newsmon settings; build it with ``load_settings``."""

    kafka: KafkaSettings = KafkaSettings()
    elasticsearch: ElasticsearchSettings = ElasticsearchSettings()
    services: ServicesSettings = ServicesSettings()
    pipeline: PipelineSettings = PipelineSettings()
    connectors: ConnectorsSettings = ConnectorsSettings()
    alerts: AlertsSettings = AlertsSettings()
    api: ApiSettings = ApiSettings()

    def pointed_at(self, kafka_bootstrap: str, elasticsearch_url: str) -> Settings:
        """These settings with Kafka and Elasticsearch endpoints replaced (e.g. by local services)."""
        return self.model_copy(
            update={
                "kafka": self.kafka.model_copy(update={"bootstrap_servers": kafka_bootstrap}),
                "elasticsearch": self.elasticsearch.model_copy(update={"url": elasticsearch_url}),
            }
        )

    def redacted(self) -> dict[str, Any]:
        """Settings as a dict with secrets masked: safe to log or print."""
        return self.model_dump(mode="json")


def _env_overrides(environ: dict[str, str]) -> dict[str, dict[str, str]]:
    sections = set(Settings.model_fields)
    overrides: dict[str, dict[str, str]] = {}
    for key, value in environ.items():
        if not key.startswith(ENV_PREFIX) or "__" not in key:
            continue
        section, _, field = key[len(ENV_PREFIX) :].lower().partition("__")
        if section in sections and field:
            overrides.setdefault(section, {})[field] = value
    return overrides


def _describe(exc: ValidationError, origin: str) -> str:
    lines = [f"invalid settings in {origin}:"]
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        lines.append(f"  {where}: {err['msg']}")
    return "\n".join(lines)


def load_settings(path: Path | str | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Load settings from YAML (optional) and environment overrides; raise ``SettingsError``."""
    env = dict(os.environ if environ is None else environ)
    chosen = Path(path) if path else Path(env["NEWSMON_CONFIG"]) if env.get("NEWSMON_CONFIG") else None
    data: dict[str, Any] = {}
    origin = "defaults"
    file = chosen or (DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None)
    if file is not None:
        if not file.exists():
            raise SettingsError(f"settings file not found: {file}")
        origin = str(file)
        try:
            loaded = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise SettingsError(f"{file}: not valid YAML: {exc}") from exc
        if not isinstance(loaded, dict):
            raise SettingsError(f"{file}: expected a mapping at the top level")
        data = loaded
    for section, fields in _env_overrides(env).items():
        current = data.get(section) or {}
        if not isinstance(current, dict):
            raise SettingsError(f"{origin}: section {section!r} must be a mapping")
        data[section] = {**current, **fields}
        origin = f"{origin} + environment (NEWSMON_{section.upper()}__*)"
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise SettingsError(_describe(exc, origin)) from exc
