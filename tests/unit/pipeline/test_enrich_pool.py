"""EnrichPool: articles enriched in spawned helper processes come back in order with their errors;
a helper that dies is replaced and only the article that kills it fails; ``enrich_processes: auto``
means helpers where all of the pipeline's Python runs in one process (Prism, Flink LOOPBACK)."""

from __future__ import annotations

import os
from typing import Any

import pytest

from newsmon.core.settings import PipelineSettings, SettingsError, load_settings
from pipeline.enrich_pool import AUTO_MAX_PROCESSES, EnrichPool, enrich_processes


class _Result:
    def __init__(self, doc: dict[str, Any]) -> None:
        self._doc = doc

    def to_document(self) -> dict[str, Any]:
        return self._doc


class EchoEnricher:
    """Echoes the title and its process id; raises on 'BOOM'; exits its process on 'DIE'."""

    def enrich(self, title: str, text: str, language_hint: str | None = None) -> Any:
        if title == "DIE":
            os._exit(3)  # a crash in native code, the OOM killer: the process is gone
        if title == "BOOM":
            raise ValueError("bad article")
        return _Result({"title": title, "text": text, "hint": language_hint, "pid": os.getpid()})


class BrokenEnricher:
    """An enricher that cannot load (a bad taxonomy file, say)."""

    def __init__(self) -> None:
        raise ValueError("taxonomy.yaml: bad pattern")


def test_helpers_that_cannot_load_the_enricher_fail_start_not_the_articles() -> None:
    with EnrichPool(1, BrokenEnricher) as pool, pytest.raises(RuntimeError, match="enrich_processes: 0"):
        pool.start()


def test_outcomes_in_order_with_per_article_errors() -> None:
    with EnrichPool(2, EchoEnricher) as pool:
        chunks = [[(f"t{c}-{n}", "x", "en") for n in range(5)] for c in range(4)]
        futures = [pool.submit(chunk) for chunk in chunks]
        results = [pool.result(f, chunk) for f, chunk in zip(futures, chunks, strict=True)]
        assert [[o.document["title"] for o in r if o.document] for r in results] == [
            [t for t, _, _ in chunk] for chunk in chunks
        ]
        assert all(o.document["pid"] != os.getpid() for r in results for o in r if o.document)
        items = [("a", "x", None), ("BOOM", "x", None), ("c", "x", None)]
        outcomes = pool.result(pool.submit(items), items)
        assert [o.error for o in outcomes] == [None, "ValueError: bad article", None]
        assert outcomes[2].document is not None and outcomes[2].document["title"] == "c"


def test_a_dying_helper_is_replaced_and_only_its_article_fails() -> None:
    with EnrichPool(1, EchoEnricher) as pool:
        items = [("a", "x", None), ("DIE", "x", None), ("c", "x", None)]
        outcomes = pool.result(pool.submit(items), items)
        assert outcomes[0].document is not None and outcomes[2].document is not None
        assert outcomes[1].document is None and "died" in (outcomes[1].error or "")
        assert pool.restarts >= 2  # the chunk's death, then the article's own deaths when alone
        # the pool works again afterwards
        again = [("d", "x", None)]
        assert pool.result(pool.submit(again), again)[0].document is not None


def test_auto_means_helpers_where_the_python_runs_in_one_process() -> None:
    prism = PipelineSettings(runner="prism")
    assert prism.enrich_processes == "auto"
    assert enrich_processes(prism, cpus=2) == 1
    assert enrich_processes(prism, cpus=1) == 0
    assert enrich_processes(prism, cpus=64) == AUTO_MAX_PROCESSES
    assert enrich_processes(PipelineSettings(runner="flink"), cpus=8) == 4  # LOOPBACK: one process
    external = PipelineSettings(runner="flink", flink_environment_type="EXTERNAL")
    assert enrich_processes(external, cpus=8) == 0
    assert enrich_processes(PipelineSettings(runner="dataflow"), cpus=8) == 0
    assert enrich_processes(PipelineSettings(runner="flink", enrich_processes=2), cpus=8) == 2
    assert enrich_processes(PipelineSettings(enrich_processes=0), cpus=8) == 0


def test_bad_enrich_processes_is_refused_with_the_field_named(tmp_path: Any) -> None:
    config = tmp_path / "newsmon.yaml"
    config.write_text("pipeline:\n  enrich_processes: -1\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="enrich_processes"):
        load_settings(config)


_ORPHAN_SCRIPT = """
import sys
from pipeline.enrich_pool import EnrichPool
from tests.unit.pipeline.test_enrich_pool import EchoEnricher
pool = EnrichPool(1, EchoEnricher)
items = [("a", "x", None)]
print(pool.result(pool.submit(items), items)[0].document["pid"], flush=True)
sys.stdin.read()  # wait to be killed
"""


def test_helpers_end_when_their_worker_is_killed() -> None:
    """A helper ignores Ctrl-C (its worker decides how to stop), and SIGKILL on the worker (the
    supervisor's last resort, the OOM killer) leaves no helper behind."""
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    worker = subprocess.Popen(
        [sys.executable, "-c", _ORPHAN_SCRIPT], cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert worker.stdout is not None
        helper = int(worker.stdout.readline())
        os.kill(helper, signal.SIGINT)  # Ctrl-C reaches the whole process group: the helper ignores it
        time.sleep(0.5)
        os.kill(helper, 0)  # still there
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(helper, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)
        os.kill(helper, signal.SIGKILL)
        raise AssertionError(f"helper process {helper} outlived its killed worker")
    finally:
        worker.kill()
