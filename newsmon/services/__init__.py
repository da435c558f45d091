"""Local Kafka, Elasticsearch and Beam Prism runner for development, demos and tests - no Docker.

Everything is downloaded by newsmon itself from package registries (Maven Central, the Go module
proxy), cached under ``services.cache_dir`` and run from ``services.state_dir``; all listeners are
bound to 127.0.0.1. See docs/decisions/0001-local-services-without-docker.md.

    from newsmon.services import LocalServices
    svc = LocalServices(settings.services)
    svc.up(components=("kafka", "elasticsearch"))
"""

from newsmon.services.base import ServiceError, ServiceStatus
from newsmon.services.manager import COMPONENTS, LocalServices

__all__ = ["COMPONENTS", "LocalServices", "ServiceError", "ServiceStatus"]
