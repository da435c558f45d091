"""newsmon: streaming news monitoring (feeds -> Kafka -> Apache Beam -> Elasticsearch).

Package layout (imports flow downwards only):

* ``newsmon.cli`` / ``newsmon.services`` - command line and local service launchers (top).
* ``connectors`` and ``pipeline`` - feed ingestion and the Beam pipeline; they never import each other.
* ``newsmon.core`` - the shared article record schema, URL canonicalisation and settings (bottom).
"""

__version__ = "0.1.0"
