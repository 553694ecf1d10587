"""/metrics: the ledger's counts in Prometheus text format, read from the database. It needs a
read key, and counts only that key's collections; `metrics_only_app` serves it without a key on
a separate listener (GREENHOUSE_METRICS_ADDRESS) for a scraper on a private network.

The dispatch outbox's backlog is one number over every collection, so only callers that see
every collection (admin or `*` keys, auth disabled, the listener) get it: for a key of some
collections it would count other collections' uploads, and a backlog is the operator's signal
of a broker outage, not a collection's."""

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import PlainTextResponse

from api.auth import ReadCaller
from api.state import ApiState, api_state
from storage.database import transaction
from storage.metrics import OutboxBacklog, ledger_counts, outbox_backlog

router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(state: Annotated[ApiState, Depends(api_state)], caller: ReadCaller) -> str:
    """greenhouse_documents{status}, greenhouse_jobs{state,tier}, model tokens per tier, over
    the key's collections; the outbox's backlog to callers that see every collection."""
    backlog: OutboxBacklog | None = None
    with transaction(state.sessions) as session:
        counts = ledger_counts(session, caller.collections)
        if caller.collections is None:
            backlog = outbox_backlog(session)
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
    if backlog is not None:
        lines += [
            "# HELP greenhouse_outbox_pending Accepted documents whose chunking message waits "
            "for the broker.",
            "# TYPE greenhouse_outbox_pending gauge",
            f"greenhouse_outbox_pending {backlog.pending}",
            "# HELP greenhouse_outbox_oldest_seconds How long the oldest of them has waited "
            "(0 when none does).",
            "# TYPE greenhouse_outbox_oldest_seconds gauge",
            f"greenhouse_outbox_oldest_seconds {backlog.oldest_seconds:.3f}",
        ]
    return "\n".join(lines) + "\n"


def metrics_only_app(state: ApiState) -> FastAPI:
    """An app serving only /metrics, over every collection and without a key: bind it to an
    address only the scraper reaches."""
    app = FastAPI(title="Greenhouse metrics", openapi_url=None, docs_url=None, redoc_url=None)
    app.state.greenhouse = replace(state, keys=None)
    app.include_router(router)
    return app
