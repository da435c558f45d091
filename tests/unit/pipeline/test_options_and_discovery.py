"""Runner options per runner (Flink three ways, Dataflow, Prism) and the partition discovery SDF,
without any service."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from apache_beam.io.restriction_trackers import OffsetRange
from apache_beam.runners.sdf_utils import RestrictionTrackerView, ThreadsafeRestrictionTracker

from newsmon.core.settings import PipelineSettings, Settings
from pipeline import kafka_source
from pipeline.kafka_source import KafkaPartition, _DiscoverPartitionsFn, _UnboundedOffsetTracker
from pipeline.options import FlinkTarget, job_name, pipeline_options, runner_args


def _settings(**pipeline: Any) -> Settings:
    return Settings().model_copy(update={"pipeline": PipelineSettings(**pipeline)})


def test_local_flink_goes_to_the_job_service_with_loopback_workers() -> None:
    target = FlinkTarget(job_endpoint="127.0.0.1:8099", rest_urls=("http://127.0.0.1:8081",))
    args = runner_args(_settings(runner="flink"), flink=target, parallelism=3, name="newsmon-a-1")
    assert "--runner=PortableRunner" in args
    assert "--job_endpoint=127.0.0.1:8099" in args
    assert "--environment_type=LOOPBACK" in args
    assert "--parallelism=3" in args
    assert "--job_name=newsmon-a-1" in args
    assert "--number_of_execution_retries=2" in args  # finite: a cancelled job never restarts forever
    assert "--shutdown_sources_after_idle_ms=315360000000" in args  # SDF deferrals are honoured
    assert "--max_bundle_time_mills=100" in args  # bundles (reads, ES writes) close within 100 ms
    assert not any(a.startswith("--checkpointing_interval") for a in args)


def test_flink_cluster_runs_beams_flink_runner_with_our_launcher_jar() -> None:
    settings = _settings(
        runner="flink",
        flink_master="flink-jobmanager:8081",
        flink_environment_type="EXTERNAL",
        flink_environment_config="localhost:50000",
        flink_checkpointing_interval_ms=60000,
    )
    args = runner_args(settings, flink=FlinkTarget(job_server_jar=Path("/c/launcher.jar")))
    assert "--runner=FlinkRunner" in args
    assert "--flink_master=flink-jobmanager:8081" in args
    assert "--flink_job_server_jar=/c/launcher.jar" in args
    assert "--environment_type=EXTERNAL" in args and "--environment_config=localhost:50000" in args
    assert "--checkpointing_interval=60000" in args
    # checkpoints without it: the job read nothing (a bundle finished inside a snapshot held its output)
    assert "--finish_bundle_before_checkpointing" in args
    with pytest.raises(ValueError, match="needs the Flink job server jar"):
        runner_args(settings, flink=FlinkTarget())


def test_flink_without_a_job_server_says_what_to_run() -> None:
    with pytest.raises(ValueError, match="newsmon services up --only flink"):
        runner_args(_settings(runner="flink"))


def test_dataflow_caps_workers_at_the_partitions_and_prism_ignores_parallelism() -> None:
    assert "--max_num_workers=6" in runner_args(_settings(runner="dataflow"), parallelism=6)
    prism = runner_args(_settings(runner="prism", prism_location=Path("/p")), parallelism=6)
    assert not any("parallelism" in a or "num_workers" in a for a in prism)


def test_flink_options_parse_without_unknown_argument_warnings(caplog: pytest.LogCaptureFixture) -> None:
    target = FlinkTarget(job_endpoint="127.0.0.1:8099")
    options = pipeline_options(
        _settings(runner="flink", flink_checkpointing_interval_ms=500), [], flink=target
    )
    values = options.get_all_options()
    assert values["number_of_execution_retries"] == 2 and values["checkpointing_interval"] == 500
    assert values["finish_bundle_before_checkpointing"] is True
    assert "Unparseable" not in caplog.text


def test_job_names_are_unique_and_flink_safe() -> None:
    settings = Settings()
    first, second = job_name(settings), job_name(settings)
    assert first != second
    assert first.startswith("newsmon-newsmon-articles-v1-")
    assert all(c.isalnum() or c == "-" for c in first)


class _Consumer:
    def __init__(self, partitions: list[set[int]]) -> None:
        self.answers = partitions
        self.refreshed = 0

    def topics(self) -> set[str]:
        self.refreshed += 1
        return {"t"}

    def partitions_for_topic(self, topic: str) -> set[int]:
        return self.answers[min(self.refreshed, len(self.answers)) - 1]

    def close(self) -> None:
        return None


class _Watermark:
    def __init__(self) -> None:
        self.value: Any = None

    def current_watermark(self) -> Any:
        return self.value

    def set_watermark(self, value: Any) -> None:
        self.value = value


def _run(fn: _DiscoverPartitionsFn, restriction: OffsetRange) -> tuple[list[int], int]:
    """Partitions emitted, and where the deferred remainder starts."""
    tracker = ThreadsafeRestrictionTracker(_UnboundedOffsetTracker(restriction))
    out = [v.value.partition for v in fn.process("t", RestrictionTrackerView(tracker), _Watermark())]
    status = tracker.deferred_status()
    assert status is not None, "discovery always defers its remainder"
    residual, _delay = status
    return out, int(residual.start)


def _due_again() -> None:
    """As if the discovery interval had passed since the last listing."""
    kafka_source._DISCOVERED_AT.clear()


def test_discovery_emits_each_partition_once_and_then_only_added_ones() -> None:
    fn = _DiscoverPartitionsFn(Settings().kafka, interval_s=10)
    fn._consumer = _Consumer([{0, 1, 2}, {0, 1, 2}, {0, 1, 2, 3, 4}])
    first, resume = _run(fn, OffsetRange(0, 2**62))
    assert (first, resume) == ([0, 1, 2], 3)
    _due_again()
    again, resume = _run(fn, OffsetRange(resume, 2**62))
    assert (again, resume) == ([], 3)
    _due_again()
    added, resume = _run(fn, OffsetRange(resume, 2**62))
    assert (added, resume) == ([3, 4], 5)
    assert KafkaPartition("t", 3).key == "t/3"


def test_discovery_that_is_not_due_pauses_without_asking_kafka(monkeypatch: pytest.MonkeyPatch) -> None:
    # Prism resumes a deferred remainder at once: the pause has to happen in the bundle
    monkeypatch.setattr(kafka_source, "_NOT_DUE_PAUSE_S", 0.05)
    _due_again()
    fn = _DiscoverPartitionsFn(Settings().kafka, interval_s=10)
    consumer = _Consumer([{0, 1}])
    fn._consumer = consumer
    _, resume = _run(fn, OffsetRange(0, 2**62))
    assert consumer.refreshed == 1
    started = time.monotonic()
    emitted, resume_again = _run(fn, OffsetRange(resume, 2**62))
    assert (emitted, resume_again, consumer.refreshed) == ([], resume, 1)  # Kafka not asked
    assert 0.04 <= time.monotonic() - started < 1.0
