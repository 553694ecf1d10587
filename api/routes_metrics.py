"""/metrics: the ledger's counts in Prometheus text format, read from the database."""

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import PlainTextResponse

from api.state import ApiState, api_state
from storage.database import transaction
from storage.metrics import ledger_counts

router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(state: Annotated[ApiState, Depends(api_state)]) -> str:
    """greenhouse_documents{status}, greenhouse_jobs{state,tier}, model tokens per tier."""
    with transaction(state.sessions) as session:
        counts = ledger_counts(session)
    lines = [
        "# HELP greenhouse_documents Documents by status.",
        "# TYPE greenhouse_documents gauge",
        *(f'greenhouse_documents{{status="{d.status}"}} {d.count}' for d in counts.documents),
        "# HELP greenhouse_jobs Jobs by state and tier.",
        "# TYPE greenhouse_jobs gauge",
        *(f'greenhouse_jobs{{state="{j.state}",tier="{j.tier}"}} {j.count}' for j in counts.jobs),
        "# HELP greenhouse_model_tokens_total Model tokens used, by tier and direction.",
        "# TYPE greenhouse_model_tokens_total counter",
    ]
    for used in counts.tokens:
        lines.append(
            f'greenhouse_model_tokens_total{{tier="{used.tier}",direction="in"}} {used.tokens_in}'
        )
        lines.append(
            f'greenhouse_model_tokens_total{{tier="{used.tier}",direction="out"}} {used.tokens_out}'
        )
    return "\n".join(lines) + "\n"
