"""Sending webhook deliveries from the ledger's outbox: passes, retries, and who runs them.

A pass claims due deliveries under a lease (`storage/webhook_deliveries.py`; each of its
`senders` threads one at a time, so a silent receiver holds up one sender only), POSTs each
(`workers/webhook_http.py`) and records the outcome: a 2xx delivers it; anything else is
retried after `retry_delay` (10 s doubling to 1 h, 20 % jitter) until `max_attempts`, then it
is dead. The lease is four request timeouts plus 30 s, so a live deliverer's attempt ends
before anyone else may take the row.

Who runs passes: every Celery worker runs a `DeliveryThread` beside its reaper (a pass every
`webhook_poll_seconds`, for retries and missed kicks); the process that finalises a document
kicks a one-off pass right after the commit (`DeliveryKicker`), so a delivery goes out at once.
The embedded executor makes a pass at the end of every drain, and `greenhouse serve` without a
broker runs a `DeliveryThread` too.

The HTTP side (`workers/webhook_http.py`, httpx) is imported by the first attempt, so a run
with nothing to deliver does not load it.
"""

import hashlib
import logging
import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from schemas.settings import Settings
from storage.database import SessionFactory, transaction
from storage.types import utcnow
from storage.webhook_deliveries import (
    DueDelivery,
    claim_due,
    prune_settled,
    record_delivered,
    record_failed,
)

if TYPE_CHECKING:
    import httpx

    from workers.webhook_http import AttemptResult

logger = logging.getLogger(__name__)

PASS_LIMIT = 1000
"""Deliveries one pass sends at most; the next pass goes on."""
LOG_RETENTION_SECONDS = 30 * 24 * 3600.0
"""Delivered and dead deliveries stay in the log this long."""
PRUNE_EVERY_SECONDS = 3600.0


@dataclass(frozen=True)
class DeliveryPolicy:
    """Timeouts, retries and when a webhook is disabled."""

    timeout_seconds: float = 10.0
    max_attempts: int = 10
    first_retry_seconds: float = 10.0
    max_retry_seconds: float = 3600.0
    jitter: float = 0.2
    disable_after: int = 20
    senders: int = 4
    """Deliveries a pass sends at once (one claim each)."""

    @property
    def lease_seconds(self) -> float:
        """Longer than any attempt a live deliverer makes (every phase may take the timeout)."""
        return 4 * self.timeout_seconds + 30.0

    @classmethod
    def of(cls, settings: Settings) -> "DeliveryPolicy":
        return cls(
            timeout_seconds=settings.webhook_timeout_seconds,
            max_attempts=settings.webhook_max_attempts,
            disable_after=settings.webhook_disable_after,
        )


def retry_delay(policy: DeliveryPolicy, delivery_id: str, attempt: int) -> float:
    """Seconds before the attempt after failed attempt `attempt` (1-based): the first retry
    delay doubled per attempt, capped, times a jitter factor in [1 - jitter, 1 + jitter) drawn
    from the delivery's id and attempt (deterministic, different per delivery)."""
    doubled: float = policy.first_retry_seconds * 2.0 ** (attempt - 1)
    base = min(doubled, policy.max_retry_seconds)
    digest = hashlib.sha256(f"{delivery_id}:{attempt}".encode()).digest()
    unit = int.from_bytes(digest[:8], "big") / 2**64
    return base * (1 - policy.jitter + 2 * policy.jitter * unit)


@dataclass
class DeliveryReport:
    """What one pass did."""

    delivered: int = 0
    failed: int = 0
    dead: int = 0
    disabled: list[str] = field(default_factory=list)

    @property
    def attempts(self) -> int:
        return self.delivered + self.failed + self.dead


def deliverer_owner() -> str:
    """A lease owner naming this host, process and pass."""
    return f"webhooks/{socket.gethostname()}/{os.getpid()}/{secrets.token_hex(4)}"


class Deliverer:
    """Runs delivery passes for one process; its HTTP client is shared by its threads."""

    def __init__(self, sessions: SessionFactory, policy: DeliveryPolicy) -> None:
        self.sessions = sessions
        self.policy = policy
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    def client(self) -> "httpx.Client":
        from workers.webhook_http import make_client

        with self._lock:
            if self._client is None:
                self._client = make_client(self.policy.timeout_seconds)
            return self._client

    def run_pass(self, limit: int = PASS_LIMIT) -> DeliveryReport:
        """Send due deliveries until none is due (or about `limit` attempts were made):
        `policy.senders` threads, each claiming one delivery at a time, so a slow or silent
        receiver holds up one sender, not the others' webhooks. Raises what a sender raised."""
        report = DeliveryReport()
        owner = deliverer_owner()
        first = self._claim(owner)
        if first is None:
            return report
        lock = threading.Lock()
        raised: list[BaseException] = []

        def send(delivery: DueDelivery | None) -> None:
            try:
                while delivery is not None:
                    kind, disabled = self._attempt(delivery, owner)
                    with lock:
                        setattr(report, kind, getattr(report, kind) + 1)
                        report.disabled += [delivery.webhook_id] if disabled else []
                        if report.attempts >= limit:
                            return
                    delivery = self._claim(owner)
            except BaseException as exc:
                raised.append(exc)

        senders = [
            threading.Thread(target=send, args=(first if number == 0 else self._claim(owner),))
            for number in range(self.policy.senders)
        ]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join()
        if raised:
            raise raised[0]
        return report

    def _claim(self, owner: str) -> DueDelivery | None:
        with transaction(self.sessions) as session:
            claimed = claim_due(
                session,
                owner,
                lease_seconds=self.policy.lease_seconds,
                max_attempts=self.policy.max_attempts,
                disable_after=self.policy.disable_after,
                limit=1,
            )
        return claimed[0] if claimed else None

    def _attempt(self, delivery: DueDelivery, owner: str) -> tuple[str, bool]:
        """Send one delivery and record how it went: ("delivered" | "failed" | "dead", whether
        that disabled its webhook)."""
        from workers.webhook_http import post_delivery

        result = post_delivery(
            self.client(),
            url=delivery.url,
            secret=delivery.secret,
            event=delivery.event,
            delivery_id=delivery.id,
            payload=delivery.payload,
        )
        return self._record(delivery, owner, result)

    def _record(
        self, delivery: DueDelivery, owner: str, result: "AttemptResult"
    ) -> tuple[str, bool]:
        if result.delivered:
            assert result.status_code is not None
            with transaction(self.sessions) as session:
                record_delivered(session, delivery.id, result.status_code)
            return "delivered", False
        retry_at = self.retry_at(delivery)
        with transaction(self.sessions) as session:
            outcome = record_failed(
                session,
                delivery.id,
                owner,
                status_code=result.status_code,
                error=result.error or "",
                retry_at=retry_at,
                disable_after=self.policy.disable_after,
            )
        if outcome.dead:
            logger.warning(
                "webhook %s: delivery %s dead after %d attempts: %s",
                delivery.webhook_id,
                delivery.id,
                delivery.attempt,
                result.error,
            )
        if outcome.disabled_webhook:
            logger.warning("webhook %s disabled after repeated failures", delivery.webhook_id)
        return ("dead" if outcome.dead else "failed"), outcome.disabled_webhook

    def retry_at(self, delivery: DueDelivery) -> datetime | None:
        """When the next attempt is due; None after the last allowed attempt."""
        if delivery.attempt >= self.policy.max_attempts:
            return None
        delay = retry_delay(self.policy, delivery.id, delivery.attempt)
        return utcnow() + timedelta(seconds=delay)

    def run_pass_surviving(self) -> DeliveryReport | None:
        """A pass whose exceptions (database down, a bug) are logged, never raised."""
        try:
            return self.run_pass()
        except Exception as exc:
            logger.warning(
                "webhook delivery pass failed, will retry: %s: %s", type(exc).__name__, exc
            )
            return None

    def prune_log_surviving(self) -> int:
        """Drop settled deliveries past LOG_RETENTION_SECONDS; errors are logged, not raised."""
        try:
            with transaction(self.sessions) as session:
                return prune_settled(session, LOG_RETENTION_SECONDS)
        except Exception as exc:
            logger.warning("webhook log pruning failed: %s: %s", type(exc).__name__, exc)
            return 0

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None


class DeliveryKicker:
    """Starts a pass in the background now (a document just finished); a kick during a pass
    makes it run once more, so nothing kicked waits for the next poll."""

    def __init__(self, deliverer: Deliverer) -> None:
        self._deliverer = deliverer
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._again = False

    def kick(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                self._again = True
                return
            self._again = False
            self._thread = threading.Thread(
                target=self._passes, name="greenhouse-webhook-kick", daemon=True
            )
            self._thread.start()

    def _passes(self) -> None:
        while True:
            self._deliverer.run_pass_surviving()
            with self._lock:
                if not self._again:
                    self._thread = None
                    return
                self._again = False

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a running pass to end (tests, shutdown)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def close(self) -> None:
        """Let a running pass finish its attempt, then close the HTTP client."""
        self.wait(self._deliverer.policy.lease_seconds)
        self._deliverer.close()


class DeliveryThread(threading.Thread):
    """A pass at start, then every `interval` seconds until stopped."""

    def __init__(self, deliverer: Deliverer, interval: float) -> None:
        super().__init__(name="greenhouse-webhooks", daemon=True)
        self._deliverer = deliverer
        self._interval = interval
        self._stop_event = threading.Event()

    def run(self) -> None:
        pruned_at = float("-inf")
        while True:
            self._deliverer.run_pass_surviving()
            if time.monotonic() - pruned_at >= PRUNE_EVERY_SECONDS:
                self._deliverer.prune_log_surviving()
                pruned_at = time.monotonic()
            if self._stop_event.wait(self._interval):
                return

    def stop(self) -> None:
        """Ask the thread to finish after its current pass."""
        self._stop_event.set()


def deliverer_of(settings: Settings, sessions: SessionFactory) -> Deliverer:
    """A deliverer with the settings' policy."""
    return Deliverer(sessions, DeliveryPolicy.of(settings))


def deliver_now(settings: Settings, sessions: SessionFactory) -> DeliveryReport | None:
    """One pass with a deliverer of its own (the end of an embedded drain); never raises."""
    deliverer = deliverer_of(settings, sessions)
    try:
        return deliverer.run_pass_surviving()
    finally:
        deliverer.close()
