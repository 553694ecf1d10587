"""/v1/jobs/{id}."""

from typing import Annotated

from fastapi import APIRouter, Depends

from api.errors import not_found
from api.serializers import job_out
from api.state import ApiState, api_state
from schemas.api import JobOut
from storage.database import transaction
from storage.queries import get_job

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


@router.get("/{job_id}", response_model=JobOut)
def show_job(job_id: str, state: Annotated[ApiState, Depends(api_state)]) -> JobOut:
    """One job: state, attempts, lease, error and usage."""
    with transaction(state.sessions) as session:
        job = get_job(session, job_id)
        if job is None:
            raise not_found("job", job_id)
        return job_out(job)
