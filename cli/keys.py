"""`greenhouse keys create|list|revoke`: API keys, managed on the ledger directly (the first
admin key can only come from here)."""

import argparse
import sys

from schemas.api_keys import EVERY_COLLECTION, InvalidKeySpecError, parse_collections, parse_scopes
from schemas.settings import Settings
from storage.api_keys import KeyRecord, create_key, list_keys, revoke_key
from storage.database import make_engine, make_session_factory, transaction
from storage.migrate import PendingMigrationsError, require_up_to_date


def run_keys(settings: Settings, arguments: argparse.Namespace) -> int:
    """Run `keys create|list|revoke`; 2 on a request that cannot be granted."""
    engine = make_engine(settings.database_url)
    try:
        require_up_to_date(engine)
        sessions = make_session_factory(engine)
        if arguments.keys_command == "create":
            scopes = parse_scopes(_split(arguments.scopes))
            collections = parse_collections(_split(arguments.collections))
            with transaction(sessions) as session:
                new = create_key(session, arguments.name, scopes, collections)
            print(_describe(new.record))
            print(f"key: {new.token}")
            print("store it now: it is shown only this once")
            return 0
        if arguments.keys_command == "list":
            with transaction(sessions) as session:
                for record in list_keys(session):
                    print(_describe(record))
            return 0
        with transaction(sessions) as session:
            revoked = revoke_key(session, arguments.key_id)
        if revoked is None:
            print(f"greenhouse: no key with id {arguments.key_id!r}", file=sys.stderr)
            return 2
        print(_describe(revoked))
        return 0
    except (InvalidKeySpecError, PendingMigrationsError) as exc:
        print(f"greenhouse: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _describe(record: KeyRecord) -> str:
    collections = (
        ",".join(sorted(record.collections)) if record.collections is not None else EVERY_COLLECTION
    )
    state = f"revoked {record.revoked_at:%Y-%m-%dT%H:%M:%SZ}" if record.revoked_at else "active"
    scopes = ",".join(sorted(record.scopes))
    return f"{record.id}  {record.name}  scopes={scopes}  collections={collections}  {state}"
