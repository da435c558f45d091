"""Measure how a streaming Beam pipeline reads Kafka: cross-language ReadFromKafka vs the kafka-python SDF.

Input for docs/decisions/0003-kafka-read-in-beam.md. Each attempt, in its own process group and
time-boxed (default 10 min):

1. creates a fresh topic (3 partitions) on the broker and produces N small JSON messages
   ``{"i": <n>, "sent_ms": <epoch ms>}`` with kafka-python;
2. builds a streaming pipeline ``read -> value bytes -> RecordArrival`` where RecordArrival appends
   ``<epoch s> <i> <sent_ms>`` to a file (works in-process and in separate worker processes alike);
3. ``run()``s it without blocking and watches the file: time to first element, time until all N
   distinct (backlog) messages arrived, duplicates;
4. live phase (``--live M``): produces M more messages at ``--live-rate`` per second while the
   pipeline runs and reports the end-to-end latency (produce -> DoFn) p50/p95/max;
5. cancels the job (``PipelineResult.cancel()``) and records the final state, how long cancel took,
   whether elements still arrived afterwards and whether the process could exit on its own.

Reads:
  sdf    ``pipeline.kafka_source.ReadFromKafkaSDF`` (kafka-python splittable DoFn, pure Python)
  xlang  ``apache_beam.io.kafka.ReadFromKafka`` (Java KafkaIO via an expansion service). The Java
         service is ``--expansion default`` (Beam's own default_io_expansion_service(): downloads
         beam-sdks-java-io-expansion-service-<ver>.jar from Maven Central), or ``--expansion-jar``
         (a local copy of that jar), or ``--expansion-classpath`` (a classpath of Beam's
         beam-sdks-java-expansion-service + beam-sdks-java-io-kafka + beam-sdks-java-harness +
         kafka-clients, e.g. resolved with Maven; see the ADR), started here with
         ``--alsoStartLoopbackWorker`` so the Java transforms run in that JVM (no Docker).
Runners:
  prism  ``--runner=PrismRunner --prism_location=... --environment_type=LOOPBACK``
  flink  ``--runner=FlinkRunner --flink_master=[local]`` (embedded Flink via Beam's Flink job server
         jar; ``--flink-job-server-jar`` points at a cached copy)

Examples::

    .venv/bin/python bench/kafka_read_experiment.py --read sdf --runner prism \\
        --prism-location /tmp/exp/bin/prism
    .venv/bin/python bench/kafka_read_experiment.py --read xlang --runner prism \\
        --prism-location /tmp/exp/bin/prism --expansion-classpath '/tmp/exp/xlang/lib/*'
    .venv/bin/python bench/kafka_read_experiment.py --matrix --prism-location /tmp/exp/bin/prism \\
        --expansion-classpath '/tmp/exp/xlang/lib/*' --results /tmp/exp/results.jsonl

Every attempt prints one JSON object (and appends it to ``--results``); its log is kept beside it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULT_MARK = "KAFKA_READ_RESULT "
TERMINAL_STATES = {"DONE", "FAILED", "CANCELLED", "UPDATED", "DRAINED"}


# --------------------------------------------------------------------------------------------------
# Kafka helpers


def create_topic(bootstrap: str, topic: str, partitions: int) -> None:
    from kafka.admin import KafkaAdminClient, NewTopic

    admin = KafkaAdminClient(bootstrap_servers=bootstrap.split(","), client_id="kafka-read-experiment")
    try:
        admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
    finally:
        admin.close()


def delete_topic(bootstrap: str, topic: str) -> None:
    from kafka.admin import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap.split(","), client_id="kafka-read-experiment")
    try:
        admin.delete_topics([topic])
    finally:
        admin.close()


def produce(bootstrap: str, topic: str, n: int, first: int = 0, rate: float = 0.0) -> float:
    """Send n JSON messages (``i`` from ``first``), paced at ``rate``/s if given; seconds until acked."""
    from kafka import KafkaProducer

    start = time.monotonic()
    producer = KafkaProducer(bootstrap_servers=bootstrap.split(","), acks="all", linger_ms=0 if rate else 5)
    try:
        futures = []
        for k, i in enumerate(range(first, first + n)):
            if rate:
                time.sleep(max(0.0, start + k / rate - time.monotonic()))
            payload = json.dumps({"i": i, "sent_ms": int(time.time() * 1000)}).encode()
            futures.append(producer.send(topic, key=str(i).encode(), value=payload))
        producer.flush(timeout=60)
        for future in futures:
            future.get(timeout=60)
    finally:
        producer.close()
    return time.monotonic() - start


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout_s: float, process: subprocess.Popen[bytes] | None = None) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return False
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
        time.sleep(0.2)
    return False


# --------------------------------------------------------------------------------------------------
# Pipeline pieces (module level so they pickle by reference)


def _arrival_fn() -> Any:
    import apache_beam as beam

    class RecordArrival(beam.DoFn):  # type: ignore[misc]
        """Append ``<epoch seconds> <i>`` for every message value to a file."""

        def __init__(self, path: str) -> None:
            self._path = path
            self._fh: Any = None

        def setup(self) -> None:
            self._fh = open(self._path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115

        def process(self, value: bytes) -> Any:
            message = json.loads(value)
            self._fh.write(f"{time.time():.6f} {message['i']} {message['sent_ms']}\n")
            return []

        def teardown(self) -> None:
            if self._fh is not None:
                self._fh.close()

    return RecordArrival


def sdf_value(message: Any) -> bytes:
    return bytes(message.value)


def kv_value(kv: Any) -> bytes:
    return bytes(kv[1])


def runner_options(cfg: dict[str, Any]) -> list[str]:
    args = ["--streaming", f"--job_name=kafka-read-{cfg['read']}-{cfg['runner']}"]
    if cfg["runner"] == "prism":
        args += [
            "--runner=PrismRunner",
            f"--prism_location={cfg['prism_location']}",
            "--environment_type=LOOPBACK",
        ]
    elif cfg["runner"] == "flink":
        args += [
            "--runner=FlinkRunner",
            "--flink_master=[local]",
            f"--flink_version={cfg['flink_version']}",
            "--environment_type=LOOPBACK",
            "--parallelism=2",
        ]
        if cfg.get("flink_job_server_jar"):
            args.append(f"--flink_job_server_jar={cfg['flink_job_server_jar']}")
    else:
        raise ValueError(f"unknown runner {cfg['runner']}")
    return args


def start_expansion_service(cfg: dict[str, Any], result: dict[str, Any]) -> tuple[Any, Any]:
    """Returns (expansion_service argument for ReadFromKafka, process to stop or None)."""
    mode = cfg["expansion"]
    if mode == "default":
        from apache_beam.io.kafka import default_io_expansion_service

        service = default_io_expansion_service()
        result["expansion_service"] = f"default_io_expansion_service() -> {service.path_to_jar}"
        return service, None
    port = free_port()
    java = cfg.get("java") or "java"
    if mode == "jar":
        cmd = [java, "-jar", cfg["expansion_jar"], str(port), "--alsoStartLoopbackWorker"]
    else:
        cmd = [
            java,
            "-cp",
            cfg["expansion_classpath"],
            "org.apache.beam.sdk.expansion.service.ExpansionService",
        ]
        cmd += [str(port), "--alsoStartLoopbackWorker"]
    log = open(Path(cfg["workdir"]) / "expansion-service.log", "wb")  # noqa: SIM115
    started = time.monotonic()
    process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    if not wait_for_port(port, 120, process):
        raise RuntimeError(f"expansion service did not open port {port}: see {log.name}")
    shown = [*cmd[:2], "<classpath>" if mode == "classpath" else cmd[2], *cmd[3:]]
    result["expansion_service"] = " ".join(shown)
    result["expansion_service_start_s"] = round(time.monotonic() - started, 2)
    return f"localhost:{port}", process


def read_arrivals(path: Path) -> list[tuple[float, int, int]]:
    """(arrival epoch s, i, sent epoch ms) per element seen by RecordArrival."""
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 3:
            rows.append((float(parts[0]), int(parts[1]), int(parts[2])))
    return rows


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def measure_live(cfg: dict[str, Any], topic: str, arrivals_path: Path) -> dict[str, Any]:
    """Produce ``live`` messages into the running pipeline; latency from send to the DoFn."""
    n, live = cfg["n"], cfg["live"]
    produce(cfg["bootstrap"], topic, live, first=n, rate=cfg["live_rate"])
    deadline = time.monotonic() + 60
    latencies: list[float] = []
    while time.monotonic() < deadline:
        first_seen: dict[int, tuple[float, int]] = {}
        for t, i, sent_ms in read_arrivals(arrivals_path):
            if i >= n:
                first_seen.setdefault(i, (t, sent_ms))
        latencies = [t - sent_ms / 1000.0 for t, sent_ms in first_seen.values()]
        if len(latencies) >= live:
            break
        time.sleep(0.25)
    out: dict[str, Any] = {
        "live_sent": live,
        "live_rate_per_s": cfg["live_rate"],
        "live_received": len(latencies),
    }
    if latencies:
        out["live_latency_p50_s"] = round(percentile(latencies, 0.5), 3)
        out["live_latency_p95_s"] = round(percentile(latencies, 0.95), 3)
        out["live_latency_max_s"] = round(max(latencies), 3)
    return out


def attempt(cfg: dict[str, Any]) -> dict[str, Any]:
    """One measured run (executed in a child process by ``main``)."""
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

    result: dict[str, Any] = {
        "read": cfg["read"],
        "runner": cfg["runner"],
        "n": cfg["n"],
        "status": "started",
    }
    workdir = Path(cfg["workdir"])
    arrivals_path = workdir / "arrivals.txt"
    topic = f"bench.kafka-read.{cfg['read']}.{cfg['runner']}.{uuid.uuid4().hex[:8]}"
    group = f"bench-kafka-read-{uuid.uuid4().hex[:8]}"
    result["topic"] = topic
    create_topic(cfg["bootstrap"], topic, cfg["partitions"])
    result["produce_s"] = round(produce(cfg["bootstrap"], topic, cfg["n"]), 3)

    expansion_process = None
    pipeline_result = None
    try:
        options = PipelineOptions(runner_options(cfg))
        result["pipeline_args"] = runner_options(cfg)
        pipeline = beam.Pipeline(options=options)
        construct_start = time.monotonic()
        if cfg["read"] == "sdf":
            from newsmon.core.settings import KafkaSettings
            from pipeline.kafka_source import ReadFromKafkaSDF

            settings = KafkaSettings(bootstrap_servers=cfg["bootstrap"], consumer_group=group)
            values = (
                pipeline | "Read" >> ReadFromKafkaSDF(settings, topic=topic) | "Value" >> beam.Map(sdf_value)
            )
        else:
            from apache_beam.io.kafka import ReadFromKafka

            service, expansion_process = start_expansion_service(cfg, result)
            values = (
                pipeline
                | "Read"
                >> ReadFromKafka(
                    consumer_config={
                        "bootstrap.servers": cfg["bootstrap"],
                        "auto.offset.reset": "earliest",
                        "group.id": group,
                    },
                    topics=[topic],
                    expansion_service=service,
                )
                | "Value" >> beam.Map(kv_value)
            )
        _ = values | "Record" >> beam.ParDo(_arrival_fn()(str(arrivals_path)))
        result["construct_s"] = round(time.monotonic() - construct_start, 2)

        submit_wall = time.time()
        submit = time.monotonic()
        pipeline_result = pipeline.run()
        result["run_call_s"] = round(time.monotonic() - submit, 2)

        deadline = submit + cfg["read_budget_s"]
        state = None
        seen: set[int] = set()
        rows: list[tuple[float, int, int]] = []
        while time.monotonic() < deadline:
            rows = read_arrivals(arrivals_path)
            seen = {i for _, i, _ in rows}
            if len(seen) >= cfg["n"]:
                break
            state = str(pipeline_result.state).rsplit(".", 1)[-1]
            if state in TERMINAL_STATES:
                break
            time.sleep(0.25)
        result["state_before_cancel"] = state or str(pipeline_result.state).rsplit(".", 1)[-1]
        if result["state_before_cancel"] == "FAILED":
            try:  # the runner's error message is only surfaced by wait_until_finish
                pipeline_result.wait_until_finish(duration=10_000)
            except Exception as exc:
                result["job_error"] = f"{type(exc).__name__}: {exc}"[:3000]
        result["received_distinct"] = len(seen)
        result["received_total"] = len(rows)
        result["duplicates"] = len(rows) - len(seen)
        if rows:
            times = sorted(t for t, _, _ in rows)
            result["first_element_s"] = round(times[0] - submit_wall, 2)
            if len(seen) >= cfg["n"]:
                first_time: dict[int, float] = {}
                for t, i, _ in rows:
                    first_time.setdefault(i, t)
                all_at = max(first_time.values())
                result["all_n_s"] = round(all_at - submit_wall, 2)
                span = all_at - times[0]
                result["throughput_msgs_per_s"] = round(cfg["n"] / span, 1) if span > 0 else None
        result["status"] = "read-all" if len(seen) >= cfg["n"] else "incomplete"
        if cfg["live"] and result["status"] == "read-all":
            live_lat = measure_live(cfg, topic, arrivals_path)
            result.update(live_lat)
            rows = read_arrivals(arrivals_path)

        # Cancel and see whether it stops cleanly.
        count_at_cancel = len(rows)
        cancel_start = time.monotonic()
        try:
            pipeline_result.cancel()
            result["cancel_call_s"] = round(time.monotonic() - cancel_start, 2)
        except Exception as exc:
            result["cancel_error"] = f"{type(exc).__name__}: {exc}"[:500]
        final = None
        cancel_deadline = time.monotonic() + cfg["cancel_budget_s"]
        while time.monotonic() < cancel_deadline:
            try:
                final = str(pipeline_result.state).rsplit(".", 1)[-1]
            except Exception as exc:
                final = f"state unavailable: {type(exc).__name__}"
                break
            if final in TERMINAL_STATES:
                break
            time.sleep(0.25)
        result["state_after_cancel"] = final
        result["cancel_to_terminal_s"] = round(time.monotonic() - cancel_start, 2)
        time.sleep(3)
        result["elements_after_cancel"] = len(read_arrivals(arrivals_path)) - count_at_cancel
    finally:
        if expansion_process is not None:
            expansion_process.terminate()
            try:
                expansion_process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                expansion_process.kill()
        with contextlib.suppress(Exception):
            delete_topic(cfg["bootstrap"], topic)
    return result


def _leftover_children() -> list[str]:
    try:
        import psutil
    except ImportError:
        return []
    return [
        f"{p.pid}:{p.name()}"
        for p in psutil.Process().children(recursive=True)
        if p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    ]


def child_main(cfg: dict[str, Any]) -> int:
    try:
        result = attempt(cfg)
    except Exception as exc:
        import traceback

        traceback.print_exc()
        result = {
            "read": cfg["read"],
            "runner": cfg["runner"],
            "n": cfg["n"],
            "status": "error",
            "error": f"{type(exc).__name__}: {exc}"[:2000],
        }
    result["children_at_end"] = _leftover_children()
    print(RESULT_MARK + json.dumps(result), flush=True)
    return 0


# --------------------------------------------------------------------------------------------------
# Orchestration: one child process per attempt, killed at the time box


def run_attempt(cfg: dict[str, Any], time_box_s: float) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix=f"kafka-read-{cfg['read']}-{cfg['runner']}-"))
    cfg = {**cfg, "workdir": str(workdir)}
    log_path = workdir / "attempt.log"
    started = time.monotonic()
    with open(log_path, "wb") as log:
        child = subprocess.Popen(
            [sys.executable, __file__, "--_attempt", json.dumps(cfg)],
            stdout=subprocess.PIPE,
            stderr=log,
            start_new_session=True,
            cwd=str(ROOT),
        )
        result: dict[str, Any] | None = None
        timed_out = False
        try:
            out, _ = child.communicate(timeout=time_box_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(child.pid, signal.SIGKILL)
            out, _ = child.communicate()
        result_line_at = time.monotonic()
    for line in out.decode(errors="replace").splitlines():
        if line.startswith(RESULT_MARK):
            result = json.loads(line[len(RESULT_MARK) :])
    if result is None:
        result = {"read": cfg["read"], "runner": cfg["runner"], "n": cfg["n"], "status": "no-result"}
    if timed_out:
        result["status"] = f"time-box ({time_box_s:.0f}s) exceeded: killed"
    result["wall_s"] = round(result_line_at - started, 1)
    result["exit_code"] = child.returncode
    result["log"] = str(log_path)
    # The attempt process must exit by itself after cancel (no stuck non-daemon threads/processes).
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGKILL)
    result["log_tail"] = _error_lines(log_path)
    return result


def _error_lines(log_path: Path, limit: int = 12) -> list[str]:
    lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    keep = [ln for ln in lines if any(w in ln for w in ("Error", "ERROR", "Exception", "error", "FAILED"))]
    return [ln[:400] for ln in (keep or lines)[-limit:]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--_attempt", help=argparse.SUPPRESS)
    parser.add_argument("--read", choices=["sdf", "xlang"], default="sdf")
    parser.add_argument("--runner", choices=["prism", "flink"], default="prism")
    parser.add_argument("--matrix", action="store_true", help="run every read x runner combination")
    parser.add_argument("--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP", "127.0.0.1:19092"))
    parser.add_argument("-n", "--n", type=int, default=2000)
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--live", type=int, default=200, help="messages produced while running (0: skip)")
    parser.add_argument("--live-rate", type=float, default=100.0, help="live messages per second")
    parser.add_argument("--repeat", type=int, default=1, help="attempts per combination")
    parser.add_argument("--prism-location", default="/tmp/exp/bin/prism")
    parser.add_argument("--flink-version", default="1.20")
    parser.add_argument("--flink-job-server-jar")
    parser.add_argument("--expansion", choices=["default", "jar", "classpath"])
    parser.add_argument("--expansion-jar", help="local beam-sdks-java-io-expansion-service jar")
    parser.add_argument("--expansion-classpath", help="java -cp value for the expansion service")
    parser.add_argument("--java", default=os.environ.get("JAVA", "java"))
    parser.add_argument("--time-box", type=float, default=600.0, help="seconds per attempt (hard kill)")
    parser.add_argument("--results", type=Path, help="append JSON lines here")
    args = parser.parse_args(argv)

    if args._attempt:
        return child_main(json.loads(args._attempt))

    expansion = args.expansion or (
        "classpath" if args.expansion_classpath else "jar" if args.expansion_jar else "default"
    )
    base = {
        "bootstrap": args.bootstrap,
        "n": args.n,
        "partitions": args.partitions,
        "live": args.live,
        "live_rate": args.live_rate,
        "prism_location": args.prism_location,
        "flink_version": args.flink_version,
        "flink_job_server_jar": args.flink_job_server_jar,
        "expansion": expansion,
        "expansion_jar": args.expansion_jar,
        "expansion_classpath": args.expansion_classpath,
        "java": args.java,
        # Leave room inside the time box for cancel and cleanup.
        "read_budget_s": max(30.0, args.time_box - 90.0),
        "cancel_budget_s": 45.0,
    }
    combos = (
        [(r, k) for k in ("prism", "flink") for r in ("sdf", "xlang")]
        if args.matrix
        else [(args.read, args.runner)]
    )
    for read, runner in [c for c in combos for _ in range(args.repeat)]:
        result = run_attempt({**base, "read": read, "runner": runner}, args.time_box)
        result["command"] = " ".join([Path(sys.executable).name, *sys.argv]) if argv is None else ""
        line = json.dumps(result)
        print(line, flush=True)
        if args.results:
            with open(args.results, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
