"""/v1/keys: create, list and revoke API keys (admin scope)."""

from typing import Annotated

from fastapi import APIRouter, Depends

from api.auth import AdminCaller
from api.errors import ApiError, not_found
from api.openapi import errors
from api.state import ApiState, api_state
from schemas.api_keys import (
    InvalidKeySpecError,
    KeyCreated,
    KeyIn,
    KeyOut,
    parse_collections,
    parse_scopes,
)
from storage.api_keys import KeyRecord, create_key, list_keys, revoke_key
from storage.database import transaction

router = APIRouter(prefix="/v1/keys", tags=["keys"])
State = Annotated[ApiState, Depends(api_state)]


@router.post("", status_code=201, response_model=KeyCreated)
def create(body: KeyIn, caller: AdminCaller, state: State) -> KeyCreated:
    """A new key; the `key` field is its bearer token, shown only in this response."""
    del caller
    try:
        scopes = parse_scopes(body.scopes)
        collections = parse_collections(body.collections)
        with transaction(state.sessions) as session:
            new = create_key(session, body.name, scopes, collections)
    except InvalidKeySpecError as exc:
        raise ApiError(422, "invalid_key", str(exc)) from exc
    return KeyCreated(**key_out(new.record).model_dump(), key=new.token)


@router.get("", response_model=list[KeyOut])
def list_all(caller: AdminCaller, state: State) -> list[KeyOut]:
    """Every key, revoked ones included; never a secret."""
    del caller
    with transaction(state.sessions) as session:
        return [key_out(record) for record in list_keys(session)]


@router.delete("/{key_id}", response_model=KeyOut, responses=errors(404))
def revoke(key_id: str, caller: AdminCaller, state: State) -> KeyOut:
    """Revoke a key: it fails from the next request on (idempotent)."""
    del caller
    with transaction(state.sessions) as session:
        record = revoke_key(session, key_id)
    if record is None:
        raise not_found("key", key_id)
    if state.keys is not None:
        state.keys.forget(key_id)
    return key_out(record)


def key_out(record: KeyRecord) -> KeyOut:
    """A stored key as listed."""
    return KeyOut(
        id=record.id,
        name=record.name,
        scopes=sorted(record.scopes),
        collections=sorted(record.collections) if record.collections is not None else None,
        created_at=record.created_at,
        revoked_at=record.revoked_at,
    )
