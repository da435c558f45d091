"""From alert messages to durable delivery records: what the consumer does with each poll batch
before it commits the batch's offsets.

Per alert, with its subscription as it is now:

* deleted, disabled or without channels: a ``skipped`` record (why, in ``last_error``);
* ``instant`` mode within the rate limit: a ``pending`` instant record per channel, created claimed
  for its first attempt and handed to the workers at once (the fast path);
* ``instant`` mode over the rate limit: a ``skipped`` instant record per channel saying so, and the
  alert filed into the channel's *hourly* digest;
* ``hourly``/``daily`` mode: the alert filed into each channel's digest of its period.

Every write is idempotent: records are created (an existing one is a replay: nothing new), digest
filing finds an alert already filed. So a batch that failed halfway is simply recorded again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from alerts.delivery.ids import delivery_id
from alerts.delivery.periods import DigestCalendar, DigestKind, Period
from alerts.delivery.ratelimit import WINDOW, RateLimiter
from alerts.delivery.records import RATE_LIMITED, DeliveryRecord, Status
from alerts.delivery.store import DeliveryStore, DigestFiling, Stored
from alerts.delivery.subscriptions import SubscriptionCache
from alerts.delivery.worker import Job
from alerts.model import AlertMessage, Channel, Subscription

__all__ = ["Intake", "Plan", "Recorded"]

logger = logging.getLogger(__name__)


@dataclass
class Plan:
    """What one alert message needs recorded, made by :meth:`Intake.plan` once per batch (so the rate
    limiter counts it once even when recording is retried)."""

    message: AlertMessage
    subscription: Subscription | None
    records: list[tuple[DeliveryRecord, Channel | None]] = field(default_factory=list)
    digest: DigestKind | None = None  # digest mode: file into this kind of digest on every channel
    took: datetime | None = None  # when the rate limiter counted it (given back for a replay)


@dataclass
class _Progress:
    created: dict[str, Stored] = field(default_factory=dict)


@dataclass(frozen=True)
class Recorded:
    """What recording a batch produced: new instant deliveries for the workers, and how many alerts
    were skipped (deleted or disabled subscription, no channels; not those held for a digest)."""

    jobs: list[Job]
    skipped: int


class Intake:
    """Records a batch of alert messages (see the module docstring); used by the service's consumer
    loop. :meth:`plan` decides, :meth:`record` writes (idempotent, retried until it succeeds) and
    returns the new instant deliveries for the workers."""

    def __init__(
        self,
        store: DeliveryStore,
        subscriptions: SubscriptionCache,
        limiter: RateLimiter,
        calendar: DigestCalendar,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        lease_s: float = 60.0,
    ) -> None:
        self.store = store
        self.subscriptions = subscriptions
        self.limiter = limiter
        self.calendar = calendar
        self.clock = clock
        self.lease_s = lease_s

    # --- deciding

    def seed_limits(self, subscriptions: Sequence[Subscription]) -> None:
        """Seed the rate limiter for instant subscriptions it has not seen (reads Elasticsearch)."""
        now = self.clock()
        unseen = [s.id for s in subscriptions if s.mode == "instant" and not self.limiter.knows(s.id)]
        for start in range(0, len(unseen), 500):
            counts = self.store.instant_counts(unseen[start : start + 500], now - WINDOW)
            for sub_id, entries in counts.items():
                self.limiter.seed(sub_id, entries)

    def _record(
        self,
        message: AlertMessage,
        sub: Subscription | None,
        channel: Channel | None,
        status: Status,
        why: str | None,
    ) -> DeliveryRecord:
        now = self.clock()
        # A pending delivery is created already claimed for its first attempt (attempts 1, leased):
        # the worker this batch hands it to sends it without another write, and if this service
        # dies first, the delivery is due again when the lease runs out (worker module docstring).
        pending = status == "pending"
        return DeliveryRecord(
            delivery_id=delivery_id(message.alert_id, channel.url if channel else ""),
            kind="instant",
            alert_ids=[message.alert_id],
            subscription_id=message.subscription_id,
            owner=sub.owner if sub else message.owner,
            channel=channel.redacted if channel else "",
            status=status,
            attempts=1 if pending else 0,
            last_error=why,
            created_at=now,
            updated_at=now,
            next_attempt_at=now + timedelta(seconds=self.lease_s) if pending else None,
        )

    def plan(self, message: AlertMessage, sub: Subscription | None) -> Plan:
        plan = Plan(message, sub)
        if sub is None or not sub.enabled or not sub.channels:
            why = (
                "subscription deleted"
                if sub is None
                else "subscription disabled"
                if not sub.enabled
                else "no channels"
            )
            channels: list[Channel | None] = (
                list(sub.channels) if sub is not None and sub.channels else [None]
            )
            plan.records = [(self._record(message, sub, c, "skipped", why), c) for c in channels]
            return plan
        if sub.mode != "instant":
            plan.digest = sub.mode
            return plan
        now = self.clock()
        if self.limiter.take(sub.id, sub.rate_limit.max_per_hour, now):
            plan.took = now
            plan.records = [(self._record(message, sub, c, "pending", None), c) for c in sub.channels]
        else:
            why = f"{RATE_LIMITED} of {sub.rate_limit.max_per_hour}/hour: held for the hourly digest"
            plan.records = [(self._record(message, sub, c, "skipped", why), c) for c in sub.channels]
        return plan

    # --- writing

    def record(self, plans: Sequence[Plan], progress: _Progress | None = None) -> Recorded:
        """Write what ``plans`` need (idempotent; pass the same ``progress`` when retrying after a
        failure) and return the instant deliveries created, for the workers."""
        state = progress if progress is not None else _Progress()
        keep = [
            p.message
            for p in plans
            if p.digest is not None or any(r.status == "pending" or r.rate_limited for r, _ in p.records)
        ]
        self.store.save_messages(keep)
        todo = [r for p in plans for r, _ in p.records if r.delivery_id not in state.created]
        for record, stored in zip(todo, self.store.create(todo), strict=True):
            if stored is not None:
                state.created[record.delivery_id] = stored
        replays = [r.delivery_id for p in plans for r, _ in p.records if r.delivery_id not in state.created]
        existing = self.store.get_many(replays)
        filings: dict[tuple[str, str, str], DigestFiling] = {}

        def file(sub: Subscription, channel: Channel, kind: DigestKind, message: AlertMessage) -> None:
            first = self.calendar.period(kind, message.matched_at)
            key = (sub.id, channel.url, first.key)
            if key not in filings:
                filings[key] = DigestFiling(sub, channel, first, self._following(kind), [])
            filings[key].messages.append(message)

        for plan in plans:
            sub = plan.subscription
            if sub is None:
                continue
            if plan.digest is not None:
                for target in sub.channels:
                    file(sub, target, plan.digest, plan.message)
                continue
            for record, channel in plan.records:
                stored = state.created.get(record.delivery_id) or existing.get(record.delivery_id)
                if channel is not None and stored is not None and stored.record.rate_limited:
                    file(sub, channel, "hourly", plan.message)
        self.store.file_into_digests(list(filings.values()), self.clock())
        jobs = []
        for plan in plans:
            new = [state.created[r.delivery_id] for r, _ in plan.records if r.delivery_id in state.created]
            if plan.took is not None and not new and plan.subscription is not None:
                self.limiter.give_back(plan.subscription.id, plan.took)  # a replay: it was counted before
                plan.took = None
            for record, channel in plan.records:
                stored = state.created.get(record.delivery_id)
                if stored is not None and stored.record.status == "pending" and channel is not None:
                    messages = {plan.message.alert_id: plan.message}
                    jobs.append(Job(stored, plan.subscription, channel, messages, claimed=True))
        skipped = sum(
            1
            for p in plans
            for r, _ in p.records
            if r.delivery_id in state.created and r.status == "skipped" and not r.rate_limited
        )
        return Recorded(jobs, skipped)

    def _following(self, kind: DigestKind) -> Callable[[Period], Period]:
        return lambda period: self.calendar.following(kind, period)

    def new_progress(self) -> _Progress:
        return _Progress()
