"""The Apache Beam streaming pipeline: Kafka -> validate -> enrich (tagging) -> Elasticsearch.

Entry points: ``pipeline.app`` (graph and ``run``), ``pipeline.job.StreamingJob`` (start/stop from
Python), ``pipeline.tagging`` (the pure-Python enrichment engine). Kept import-light on purpose:
importing ``pipeline`` does not import Beam.
"""
