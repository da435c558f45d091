"""After a feed was polled: count a failure, or queue its records and schedule its next poll.

``finish`` runs on the event loop as each feed completes; it returns the ``FeedOutcome`` the caller
reports. Records go to the ``PublishBatcher``, which also saves the feed state once they are safe.
"""

from __future__ import annotations

import random
import time

from connectors.batcher import PublishBatcher
from connectors.http import FetchError
from connectors.poller import FeedWork
from connectors.report import FeedOutcome
from connectors.scheduler import SchedulePolicy, feed_hint_s, record_failure, record_success

__all__ = ["finish"]

UNRELIABLE = "validators unchanged although new items appeared: conditional GET disabled"


def finish(
    work: FeedWork, batcher: PublishBatcher, policy: SchedulePolicy, rng: random.Random
) -> FeedOutcome:
    """Queue the feed's records, update and schedule its state; return the outcome."""
    spec, state, now, output = work.spec, work.state, time.time(), work.output
    if work.error is None and output is not None and output.fatal:
        status = work.fetched.status if work.fetched else None
        work.error, work.records = FetchError("parse", output.fatal, status=status), []
        state.etag = state.last_modified = state.content_hash = None  # re-read it next time
    new = batcher.add(work)
    if work.error is not None:
        record_failure(state, spec, now, work.error, policy=policy, rng=rng)
        return _outcome(work, 0)
    if output is not None:
        state.format, state.feed_hint_s = output.format, feed_hint_s(output.hints)
        _check_validators(work, new)
        state.problems = [*output.problems, *_skipped(output.skipped), *work.problems]
    dates = [d.timestamp() for d in output.dates] if output else []
    headers = work.fetched.headers if work.fetched else {}
    record_success(state, spec, now, new_items=new, dates=dates, headers=headers, policy=policy, rng=rng)
    return _outcome(work, new)


def _check_validators(work: FeedWork, new: int) -> None:
    """An unconditional poll found new items although ETag/Last-Modified did not change: they lie."""
    state, previous = work.state, work.previous
    same_etag = bool(state.etag) and state.etag == previous.etag
    same_date = bool(state.last_modified) and state.last_modified == previous.last_modified
    if work.revalidating and new and (same_etag or same_date) and not state.validators_unreliable:
        state.validators_unreliable = True
        work.problems.append(UNRELIABLE)


def _skipped(skipped: dict[str, int]) -> list[str]:
    return [f"{count} entr{'y' if count == 1 else 'ies'} skipped: {why}" for why, count in skipped.items()]


def _outcome(work: FeedWork, new: int) -> FeedOutcome:
    """Problems are this poll's: those of the parsed document, or only the fetch's for 304/unchanged."""
    problems = () if work.error else tuple(work.state.problems if work.output else work.problems)
    return FeedOutcome(
        feed_id=work.spec.id,
        ok=work.error is None,
        http_status=work.error.status if work.error else (work.fetched.status if work.fetched else None),
        new_items=new,
        error=str(work.error) if work.error else None,
        not_modified=work.unchanged,
        parked=work.state.parked_reason,
        problems=problems,
        elapsed_s=time.time() - work.started,
    )
