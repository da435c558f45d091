"""Alert subscriptions: query validation, compilation and matching of articles (shared by the
pipeline, the API and the delivery service; never imports pipeline Beam code or the CLI)."""

from __future__ import annotations

from alerts.analysis import Analyzer, ElasticsearchAnalyzer
from alerts.compile import CompiledQuery, QueryCompiler
from alerts.document import AnalyzedDocument, fetch_documents, from_term_vectors
from alerts.index import SubscriptionIndex
from alerts.query import QueryError, parse_subscription_query

__all__ = [
    "AnalyzedDocument",
    "Analyzer",
    "CompiledQuery",
    "ElasticsearchAnalyzer",
    "QueryCompiler",
    "QueryError",
    "SubscriptionIndex",
    "fetch_documents",
    "from_term_vectors",
    "parse_subscription_query",
]
