"""API keys on the ledger, on both backends: verification, revocation and how long a verified
key is trusted; and `greenhouse keys` / `greenhouse serve` from the command line."""

from pathlib import Path

import pytest
from sqlalchemy import Engine

from api.key_verifier import KeyVerifier
from cli.main import main
from schemas.api_keys import Scope
from storage.api_keys import revoke_key, verify_token
from storage.database import make_engine, make_session_factory, transaction
from tests.support.keys import new_token


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_tokens_verify_until_revoked(any_engine: Engine) -> None:
    sessions = make_session_factory(any_engine)
    token = new_token(sessions, "ci", {Scope.READ, Scope.WRITE}, {"alpha", "beta"})
    _, key_id, secret = token.split("_", 2)
    with transaction(sessions) as session:
        record = verify_token(session, token)
        assert record is not None
        assert (record.id, record.name, record.scopes, record.collections) == (
            key_id,
            "ci",
            frozenset({Scope.READ, Scope.WRITE}),
            frozenset({"alpha", "beta"}),
        )
        assert verify_token(session, f"gh_{key_id}_{secret}x") is None
        assert verify_token(session, f"gh_{'0' * 12}_{secret}") is None
        assert verify_token(session, f"xx_{key_id}_{secret}") is None
        assert verify_token(session, secret) is None
    with transaction(sessions) as session:
        revoked = revoke_key(session, key_id)
        assert revoked is not None and revoked.revoked_at is not None
        assert revoke_key(session, key_id) == revoked  # idempotent: the first time stays
        assert revoke_key(session, "nope") is None
    with transaction(sessions) as session:
        assert verify_token(session, token) is None


def test_a_verified_key_is_trusted_for_the_configured_seconds_only(any_engine: Engine) -> None:
    """A revocation made elsewhere (the CLI, another replica) takes effect once the trust
    window ends; `forget` (this process revoked it) ends it at once; 0 s means no window."""
    sessions = make_session_factory(any_engine)
    token = new_token(sessions, "ci", {Scope.READ}, None)
    key_id = token.split("_", 2)[1]
    clock = FakeClock()
    verifier = KeyVerifier(sessions, trust_seconds=2.0, clock=clock)
    untrusting = KeyVerifier(sessions, trust_seconds=0.0, clock=clock)
    caller = verifier.verify(token)
    assert caller is not None and caller.key_id == key_id and caller.collections is None
    assert untrusting.verify(token) == caller
    with transaction(sessions) as session:
        revoke_key(session, key_id)
    assert untrusting.verify(token) is None
    clock.now += 1.9
    assert verifier.verify(token) == caller
    clock.now += 0.2
    assert verifier.verify(token) is None

    second = new_token(sessions, "other", {Scope.READ}, None)
    assert verifier.verify(second) is not None
    with transaction(sessions) as session:
        revoke_key(session, second.split("_", 2)[1])
    verifier.forget(second.split("_", 2)[1])
    assert verifier.verify(second) is None


def _configure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("GREENHOUSE_DATABASE_URL", url)
    monkeypatch.setenv("GREENHOUSE_BLOB_ROOT", str(tmp_path / "blobs"))
    return url


def test_keys_cli_creates_lists_and_revokes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = _configure(monkeypatch, tmp_path)
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    create = ["keys", "create", "--name", "ci", "--collections", "alpha,beta"]
    assert main([*create, "--scopes", "read,write"]) == 0
    lines = capsys.readouterr().out.splitlines()
    token = lines[1].removeprefix("key: ")
    key_id = token.split("_", 2)[1]
    assert lines[0] == f"{key_id}  ci  scopes=read,write  collections=alpha,beta  active"
    assert lines[2] == "store it now: it is shown only this once"

    assert main(["keys", "list"]) == 0
    listed = capsys.readouterr().out
    assert listed == lines[0] + "\n"
    assert token.split("_", 2)[2] not in listed

    assert main(["keys", "revoke", key_id]) == 0
    assert f"{key_id}  ci  scopes=read,write  collections=alpha,beta  revoked " in (
        capsys.readouterr().out
    )
    engine = make_engine(url)
    with transaction(make_session_factory(engine)) as session:
        assert verify_token(session, token) is None
    engine.dispose()

    assert main(["keys", "revoke", "nope"]) == 2
    assert capsys.readouterr().err == "greenhouse: no key with id 'nope'\n"
    assert main([*create, "--scopes", "admin"]) == 2
    assert capsys.readouterr().err == (
        "greenhouse: an admin key covers every collection: use --collections '*'\n"
    )


def test_serve_refuses_auth_disabled_off_loopback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _configure(monkeypatch, tmp_path)
    monkeypatch.setenv("GREENHOUSE_AUTH", "disabled")
    assert main(["serve", "--host", "0.0.0.0", "--port", "1"]) == 2
    assert capsys.readouterr().err == (
        "greenhouse: GREENHOUSE_AUTH=disabled is refused on 0.0.0.0: without keys the API may "
        "only bind to loopback (127.0.0.1, ::1)\n"
    )
    monkeypatch.setenv("GREENHOUSE_AUTH", "keys")
    monkeypatch.setenv("GREENHOUSE_METRICS_ADDRESS", "9100")
    assert main(["serve", "--host", "0.0.0.0", "--port", "1"]) == 2
    assert "GREENHOUSE_METRICS_ADDRESS='9100' is not host:port" in capsys.readouterr().err
