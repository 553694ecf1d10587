"""/metrics: the ledger's counts in Prometheus text format, read from the database."""

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import PlainTextResponse
from sqlalchemy import func, select

from api.state import ApiState, api_state
from storage.database import transaction
from storage.models import Document, Job

router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(state: Annotated[ApiState, Depends(api_state)]) -> str:
    """greenhouse_documents{status}, greenhouse_jobs{state,tier}, model tokens per tier."""
    with transaction(state.sessions) as session:
        documents = session.execute(select(Document.status, func.count()).group_by(Document.status))
        jobs = session.execute(
            select(Job.state, Job.tier, func.count()).group_by(Job.state, Job.tier)
        )
        tokens = session.execute(
            select(
                Job.tier,
                func.coalesce(func.sum(Job.tokens_in), 0),
                func.coalesce(func.sum(Job.tokens_out), 0),
            ).group_by(Job.tier)
        )
        lines = [
            "# HELP greenhouse_documents Documents by status.",
            "# TYPE greenhouse_documents gauge",
            *(f'greenhouse_documents{{status="{s}"}} {n}' for s, n in documents),
            "# HELP greenhouse_jobs Jobs by state and tier.",
            "# TYPE greenhouse_jobs gauge",
            *(f'greenhouse_jobs{{state="{s}",tier="{t}"}} {n}' for s, t, n in jobs),
            "# HELP greenhouse_model_tokens_total Model tokens used, by tier and direction.",
            "# TYPE greenhouse_model_tokens_total counter",
        ]
        for tier, tokens_in, tokens_out in tokens:
            lines.append(
                f'greenhouse_model_tokens_total{{tier="{tier}",direction="in"}} {tokens_in}'
            )
            lines.append(
                f'greenhouse_model_tokens_total{{tier="{tier}",direction="out"}} {tokens_out}'
            )
    return "\n".join(lines) + "\n"
