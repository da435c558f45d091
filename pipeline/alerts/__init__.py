"""The pipeline's alerting step: ``transform.MatchSubscriptions`` matches indexed articles against the
subscriptions stored in Elasticsearch (``alerts`` package) and publishes each match to the alerts topic,
from which ``newsmon notify`` delivers it."""
