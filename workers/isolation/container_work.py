"""A container's part of chunking, in the isolated child: its members written under the
request's folder within the limits, and an e-mail's own body chunks planned."""

from pipeline.chunking.containers import expand_container
from pipeline.chunking.documents import chunk_file
from pipeline.errors import PipelineError
from pipeline.planning.jobs import plan_jobs
from pipeline.sources.expansion import clear_target
from schemas.enums import ErrorCategory, MediaType
from schemas.media import MAIL_MEDIA
from schemas.plans import JobPlan
from workers.isolation.messages import ChunkingError, DocumentPlan, PlanRequest

__all__ = ["plan_container"]


def plan_container(request: PlanRequest, media_type: MediaType) -> DocumentPlan:
    """The container's members (and, for an e-mail, its body's job plans); a container too
    deep to expand, a bomb or an unreadable one raises `ChunkingError`, leaving nothing."""
    if request.expand_into is None:
        raise ChunkingError(
            ErrorCategory.TOO_LARGE,
            f"a container inside {request.limits.max_depth} others is not expanded "
            f"(GREENHOUSE_CONTAINER_MAX_DEPTH={request.limits.max_depth})",
            media_type,
        )
    target = request.expand_into
    try:
        expansion = expand_container(
            request.path, media_type, target, request.limits, request.name_hint
        )
        plans = _own_plans(request, media_type)
    except PipelineError as error:
        clear_target(target)
        raise ChunkingError(error.category, error.message, media_type) from error
    except BaseException:
        clear_target(target)
        raise
    return DocumentPlan(media_type, plans, container=True, members=list(expansion.members))


def _own_plans(request: PlanRequest, media_type: MediaType) -> list[JobPlan]:
    """An e-mail's headers and body (`pipeline.formats.mail`); an archive has no content."""
    if media_type not in MAIL_MEDIA:
        return []
    chunks = chunk_file(request.path, media_type)
    return list(plan_jobs(chunks, request.routing, request.budget, request.tiers))
