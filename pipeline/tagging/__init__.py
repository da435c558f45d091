"""Tagging engine: language detection, Belarus/human-rights tags with evidence, and entities.

Pure Python (no Beam). The pipeline and ``newsmon tag`` share this entry point::

    from pipeline.tagging import Enricher
    enricher = Enricher.load()
    enricher.enrich(title="...", text="...").to_document()

Configuration: ``config/taxonomy.yaml`` (lexicon groups, masks, tags and rules),
``config/entities.yaml`` and ``config/places.belarus.json``. See ``docs/TAGGING.md``.
"""

from pipeline.tagging.enricher import Enricher, Enrichment, EntityResult, TagDetail, default_config_dir
from pipeline.tagging.taxonomy import TaxonomyError

__all__ = ["Enricher", "Enrichment", "EntityResult", "TagDetail", "TaxonomyError", "default_config_dir"]
