from __future__ import annotations

from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.test_stream import TestStream
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.utils.timestamp import Timestamp

from newsmon.core.settings import KafkaSettings
from pipeline.kafka_source import KafkaMessage
from pipeline.offsets import CommitOffsets, OffsetTiler, merge_ranges
from tests.unit.pipeline.fakes import FakeCommitter, message


def test_tiler_advances_only_over_contiguous_ranges() -> None:
    tiler = OffsetTiler(next_offset=10)
    assert not tiler.add(12, 12)  # 10..11 still open
    assert not tiler.add(13, 15)
    assert tiler.add(10, 11) and tiler.next_offset == 16
    assert not tiler.pending


def test_tiler_handles_gaps_covered_by_ranges_and_replays() -> None:
    tiler = OffsetTiler(next_offset=0)
    assert tiler.add(0, 4)  # offsets 0..3 were transaction markers, record at 4
    assert tiler.next_offset == 5
    assert not tiler.add(2, 3)  # replay of something already committed
    assert tiler.next_offset == 5


def _streaming() -> PipelineOptions:
    options = PipelineOptions()
    options.view_as(StandardOptions).streaming = True
    return options


def test_commit_offsets_out_of_order_in_event_time() -> None:
    """Messages finishing out of order, across watermark advances, commit only contiguous prefixes."""
    FakeCommitter.reset({"t/0": 0, "t/1": 5})
    stream = (
        TestStream()
        .add_elements([message(1), message(2)], event_timestamp=Timestamp(10))
        .advance_watermark_to(Timestamp(20))
        .add_elements([message(0), message(5, partition=1)], event_timestamp=Timestamp(21))
        .advance_watermark_to(Timestamp(30))
        .add_elements([message(3), message(7, covered_from=6, partition=1)], event_timestamp=Timestamp(31))
        .advance_watermark_to_infinity()
    )
    with TestPipeline(options=_streaming()) as p:
        committed = (
            p
            | stream.with_output_types(KafkaMessage)
            | CommitOffsets(KafkaSettings(), committer_factory=FakeCommitter)
        )
        assert_that(committed, equal_to([("t/0", 3), ("t/0", 4), ("t/1", 6), ("t/1", 8)]))
    assert FakeCommitter.commits["t/0"] == [3, 4]
    assert FakeCommitter.commits["t/1"] == [6, 8]


def test_merge_ranges_joins_touching_and_overlapping_ranges() -> None:
    assert merge_ranges([(5, 5), (0, 2), (3, 3), (7, 9), (8, 8)]) == ((0, 3), (5, 5), (7, 9))
    assert merge_ranges([]) == ()


def test_commit_offsets_commits_once_per_partition_and_bundle() -> None:
    """A bundle of many finished messages becomes one commit per partition, not one per message."""
    FakeCommitter.reset({"t/0": 0, "t/1": 0})
    stream = (
        TestStream()
        .add_elements(
            [message(i) for i in range(50)] + [message(i, partition=1) for i in range(1, 20)],
            event_timestamp=Timestamp(10),
        )
        .advance_watermark_to(Timestamp(20))
        .add_elements([message(0, partition=1)], event_timestamp=Timestamp(21))
        .advance_watermark_to_infinity()
    )
    with TestPipeline(options=_streaming()) as p:
        committed = (
            p
            | stream.with_output_types(KafkaMessage)
            | CommitOffsets(KafkaSettings(), committer_factory=FakeCommitter)
        )
        assert_that(committed, equal_to([("t/0", 50), ("t/1", 20)]))
    assert FakeCommitter.commits["t/0"] == [50]
    assert FakeCommitter.commits["t/1"] == [20]  # 1..19 waited for offset 0
