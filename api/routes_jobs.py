"""/v1/jobs/{id}."""

from typing import Annotated

from fastapi import APIRouter, Depends

from api.auth import ReadCaller
from api.errors import not_found
from api.openapi import errors
from api.serializers import job_out
from api.state import ApiState, api_state
from schemas.api import JobOut
from storage.database import transaction
from storage.documents import get_document
from storage.queries import get_job

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


@router.get("/{job_id}", response_model=JobOut, responses=errors(404))
def show_job(
    job_id: str, state: Annotated[ApiState, Depends(api_state)], caller: ReadCaller
) -> JobOut:
    """One job: state, attempts, lease (admin keys), error and usage; 404 outside the key's
    collections."""
    with transaction(state.sessions) as session:
        job = get_job(session, job_id)
        document = get_document(session, job.document_id) if job is not None else None
        if job is None or document is None or not caller.may_see(document.collection):
            raise not_found("job", job_id)
        return job_out(job, caller.is_admin)
