"""Families in the workers: a member's end counted on its containers, and the reaper's sweep
for families whose counting was cut short (a finaliser that died, a member deleted)."""

import logging

from storage.database import transaction
from storage.families import (
    finish_container,
    settle_member,
    stalled_containers,
    unsettled_finished_members,
)
from workers.context import WorkerContext
from workers.finalize_document import finalize_document

__all__ = ["settle_family", "sweep_families"]

logger = logging.getLogger(__name__)


def settle_family(context: WorkerContext, document_id: str) -> None:
    """Count a finished document's end on the containers waiting for it (a member that failed
    to chunk has no result to finalise); finalise those it finished."""
    with transaction(context.sessions) as session:
        finished = settle_member(session, document_id)
    for container_id in finished:
        finalize_document(context, container_id)


def sweep_families(context: WorkerContext) -> int:
    """Settle finished members not counted on their containers, and finish containers left
    with nothing pending; returns how many documents moved."""
    with transaction(context.sessions) as session:
        members = unsettled_finished_members(session)
    for member_id in members:
        settle_family(context, member_id)
    with transaction(context.sessions) as session:
        stalled = [c for c in stalled_containers(session) if finish_container(session, c)]
    for container_id in stalled:
        finalize_document(context, container_id)
    if members or stalled:
        logger.info(
            "families: %d members settled, %d containers finished", len(members), len(stalled)
        )
    return len(members) + len(stalled)
