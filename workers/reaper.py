"""The reaper: re-queues work whose worker died or whose message was lost."""

import logging
from collections.abc import Callable

from schemas.settings import Settings
from storage.database import transaction
from storage.documents import stale_queued_documents
from storage.ledger import reap_expired_leases, resume_waiting, stale_queued_jobs
from storage.outbox import flush_outbox
from storage.results import unfinalized_documents
from storage.retention import apply_retention, policy_of
from workers.broker_memory import BrokerCheck, BrokerMemory
from workers.context import WorkerContext
from workers.families import sweep_families
from workers.finalize_document import finalize_document
from workers.model_tiers import tier_is_healthy
from workers.takeover import take_over_dead_celery_processes

logger = logging.getLogger(__name__)

FINALIZE_GRACE_SECONDS = 60.0
"""A finished document still without a result after this long lost its finaliser."""

LEFTOVER_BLOB_SECONDS = 24 * 3600.0
"""A staged upload or detached blob untouched this long belongs to a process that was killed."""


def resend_after_seconds(settings: Settings) -> float:
    """How long after its last send queued work counts as lost and is sent again.

    A message waits in its Redis list until taken; one taken by a worker that died is put back
    by Redis after the visibility timeout. So only work sent longer ago than the visibility
    window plus `stale_queued_seconds` can have lost its message (a send that failed, a broker
    that lost its data). Without a broker (embedded) nothing redelivers: the stale interval alone.
    """
    if not settings.broker_url:
        return settings.stale_queued_seconds
    return settings.broker_visibility_timeout + settings.stale_queued_seconds


def reap_once(context: WorkerContext, broker: BrokerMemory | None = None) -> int:
    """One sweep; returns how many jobs and documents were re-enqueued or failed.

    With `broker`, a broker found to have lost its data has all queued work re-sent at once,
    and one that answers again after an outage has the work sent meanwhile re-sent."""
    settings = context.settings
    resend_after = resend_after_seconds(settings)
    check = broker.check() if broker is not None else BrokerCheck(False, None)
    if check.lost_data:
        logger.warning("the broker lost its messages (restarted empty?): re-sending queued work")
        resend_after = 0.0
    elif check.resend_sent_since is not None:
        logger.warning(
            "the broker answers again: re-sending work queued since %s",
            check.resend_sent_since.isoformat(timespec="seconds"),
        )
    since = check.resend_sent_since
    outbox = flush_outbox(context.sessions, _send_document(context))
    if outbox.error is not None:
        logger.warning("outbox flush failed, will retry: %s", outbox.error)
    taken_over = 0
    if settings.broker_url:
        report = take_over_dead_celery_processes(context)
        taken_over = report.jobs + report.documents + report.failed
    with transaction(context.sessions) as session:
        reaped = reap_expired_leases(session, settings.max_attempts)
        stale_jobs = stale_queued_jobs(session, resend_after, sent_since=since)
        stale_documents = stale_queued_documents(session, resend_after, sent_since=since)
    requeue = reaped.requeued + stale_jobs
    if requeue:
        context.enqueuer.enqueue_jobs(requeue)
    if stale_documents:
        context.enqueuer.enqueue_documents(stale_documents)
    with transaction(context.sessions) as session:
        orphaned_results = unfinalized_documents(session, FINALIZE_GRACE_SECONDS)
    for document_id in [*reaped.finished_documents, *orphaned_results]:
        finalize_document(context, document_id)
    families = sweep_families(context)
    resumed = _resume_healthy_tiers(context)
    expired = apply_retention(context.sessions, context.blobs, policy_of(settings))
    if expired.documents:
        logger.info(
            "retention: %d documents deleted, %d blobs removed",
            len(expired.documents),
            expired.blobs_removed,
        )
    swept = len(requeue) + len(reaped.failed) + len(stale_documents) + resumed + taken_over
    leftovers = context.blobs.remove_leftovers(LEFTOVER_BLOB_SECONDS)
    swept += len(outbox.sent) + len(expired.documents) + leftovers + families
    if swept:
        logger.info(
            "reaper: %d jobs re-queued, %d failed after too many attempts, %d documents re-queued",
            len(requeue),
            len(reaped.failed),
            len(stale_documents),
        )
    return swept


def _send_document(context: WorkerContext) -> Callable[[str], None]:
    """Sends one document of the outbox through the worker's enqueuer."""

    def send(document_id: str) -> None:
        context.enqueuer.enqueue_documents([document_id])

    return send


def _resume_healthy_tiers(context: WorkerContext) -> int:
    """Waiting jobs of a model tier this worker has, whose server answers, go back to the queue."""
    engines = context.resources
    resumed: list[tuple[str, str]] = []
    for tier in ("moe", "edge"):
        if tier_is_healthy(engines, tier):
            with transaction(context.sessions) as session:
                resumed += resume_waiting(session, tier)
    if resumed:
        context.enqueuer.enqueue_jobs(resumed)
    return len(resumed)
