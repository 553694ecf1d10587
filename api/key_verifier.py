"""Bearer tokens to callers: the ledger lookup, with verified keys trusted for a few seconds."""

import hashlib
import threading
import time
from collections.abc import Callable

from api.caller import Caller
from storage.api_keys import KeyRecord, verify_token
from storage.database import SessionFactory, transaction

CACHE_MAX_ENTRIES = 4096


class KeyVerifier:
    """Looks tokens up in the ledger. A verified key is remembered for `trust_seconds` (0: never),
    keyed by the token's digest; a revocation through this process forgets it at once, one
    through another process (the CLI, another replica) takes effect within `trust_seconds`."""

    def __init__(
        self,
        sessions: SessionFactory,
        trust_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._trust_seconds = trust_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._verified: dict[str, tuple[Caller, float]] = {}

    def remembered(self, token: str) -> Caller | None:
        """The key of a token verified less than `trust_seconds` ago (no database access)."""
        with self._lock:
            entry = self._verified.get(_digest(token))
        if entry is not None and entry[1] > self._clock():
            return entry[0]
        return None

    def verify(self, token: str) -> Caller | None:
        """The key of an active token, else None."""
        known = self.remembered(token)
        if known is not None:
            return known
        now = self._clock()
        with transaction(self._sessions) as session:
            record = verify_token(session, token)
        if record is None:
            return None
        key = _verified(record)
        if self._trust_seconds > 0:
            with self._lock:
                if len(self._verified) >= CACHE_MAX_ENTRIES:
                    self._verified.clear()
                self._verified[_digest(token)] = (key, now + self._trust_seconds)
        return key

    def forget(self, key_id: str) -> None:
        """Drop a key from the remembered ones (it was just revoked)."""
        with self._lock:
            self._verified = {
                digest: entry
                for digest, entry in self._verified.items()
                if entry[0].key_id != key_id
            }


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _verified(record: KeyRecord) -> Caller:
    return Caller(
        key_id=record.id, name=record.name, scopes=record.scopes, collections=record.collections
    )
