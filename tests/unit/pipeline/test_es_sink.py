"""WriteToElasticsearch on the DirectRunner with a fake client: bulk requests overlap the bundle."""

from __future__ import annotations

import threading
import time
from typing import Any, ClassVar

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from newsmon.core.settings import ElasticsearchSettings
from pipeline.es_sink import _IN_FLIGHT, WriteToElasticsearch
from tests.unit.pipeline.fakes import FakeElasticsearch, message


class SlowElasticsearch(FakeElasticsearch):
    """Takes 50 ms per bulk request and records how many requests were in flight at once."""

    lock: ClassVar[threading.Lock] = threading.Lock()
    in_flight: ClassVar[int] = 0
    most_in_flight: ClassVar[int] = 0
    requests: ClassVar[int] = 0

    def bulk(self, operations: bytes, refresh: bool = False) -> dict[str, Any]:
        cls = type(self)
        with cls.lock:
            cls.in_flight += 1
            cls.requests += 1
            cls.most_in_flight = max(cls.most_in_flight, cls.in_flight)
        try:
            time.sleep(0.05)
            return super().bulk(operations, refresh)
        finally:
            with cls.lock:
                cls.in_flight -= 1


def test_requests_overlap_and_only_acknowledged_documents_go_on() -> None:
    SlowElasticsearch.indexed, SlowElasticsearch.reject = {}, {"doc-7"}
    SlowElasticsearch.in_flight = SlowElasticsearch.most_in_flight = SlowElasticsearch.requests = 0
    pairs = [(message(n, b"{}", key=f"doc-{n}".encode()), {"id": f"doc-{n}", "n": n}) for n in range(20)]
    settings = ElasticsearchSettings(index="articles", bulk_size=2)
    with TestPipeline() as p:
        indexed, failed = (
            p
            | beam.Create([pairs])  # one element: the whole list goes through one bundle
            | beam.FlatMap(lambda batch: batch)
            | WriteToElasticsearch(settings, client_factory=SlowElasticsearch)
        )
        assert_that(indexed | beam.Map(lambda pair: pair[1]["n"]), equal_to([n for n in range(20) if n != 7]))
        assert_that(failed | beam.Map(lambda letter: letter.message.offset), equal_to([7]), label="failed")

    assert set(SlowElasticsearch.indexed) == {f"doc-{n}" for n in range(20) if n != 7}
    assert SlowElasticsearch.requests == 10
    assert SlowElasticsearch.most_in_flight == _IN_FLIGHT  # sent while the bundle went on, and bounded
