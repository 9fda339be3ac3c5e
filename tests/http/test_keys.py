"""API keys on the real suite database (SQLite file and the PostgreSQL server): shown once, stored hashed,
scoped, rate-limited, revocable, audited under the admin's name; the CLI commands a user runs."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shared import audit
from shared.auth import Identity, PermissionDenied
from shared.http.keys import SCOPES, KeyExistsError, KeyStore, UnknownKeyError, UnknownScopeError, api_keys
from shared.names import InvalidNameError
from tests.http.conftest import assert_error, make_client


def test_a_key_is_shown_once_and_stored_as_a_hash(keys):
    token = keys.create("website", "bot.channel,recs", rate_per_minute=30)
    assert token.startswith("vk_") and len(token) > 40
    with keys.engine.connect() as conn:
        row = conn.execute(select(api_keys)).one()
    assert token not in [str(v) for v in row] and row.token_sha256 != token and len(row.token_sha256) == 64
    (info,) = keys.list()
    assert (info.name, info.scopes, info.rate_per_minute, info.revoked_at) == ("website", ("bot.channel", "recs"),
                                                                              30, None)
    who = keys.identify(token)
    assert who.name == "key:website" and who.kind == "key"
    assert who.can("rec.use") and who.can("bot.channel") and not who.can("models.read")
    assert keys.identify("vk_" + "x" * 43) is None and keys.identify("") is None


def test_bad_names_scopes_and_callers_are_refused_clearly(keys):
    with pytest.raises(UnknownScopeError, match="'recz'.*choose from"):
        keys.create("a", "recs,recz")
    with pytest.raises(UnknownScopeError, match="at least one scope"):
        keys.create("a", " , ")
    with pytest.raises(InvalidNameError, match="Invalid API key name '../x'"):
        keys.create("../x", "recs")
    keys.create("a", "recs")
    with pytest.raises(KeyExistsError, match="'a' already exists"):
        keys.create("a", "models")
    with pytest.raises(PermissionDenied, match="suite.admin"):
        keys.create("b", "recs", actor=Identity("ann@example.test", "agent"))
    with pytest.raises(UnknownKeyError, match="no API key named 'zzz'"):
        keys.revoke("zzz")
    assert [k.name for k in keys.list()] == ["a"]  # nothing half-written by the refusals


def test_revoked_keys_are_refused_and_both_changes_are_audited(keys):
    token = keys.create("shop", "models")
    admin = Identity("root@example.test", "admin")
    with make_client(keys, [], {}) as client:
        assert client.get("/v1/models", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        keys.revoke("shop", actor=admin)
        assert_error(client.get("/v1/models", headers={"Authorization": f"Bearer {token}"}), 401, "unauthorized")
        assert_error(client.get("/v1/models", headers={"X-API-Key": "vk_forged"}), 401, "unauthorized")
    trail = audit.entries(keys.engine)
    assert [(e.action, e.actor, e.target) for e in trail] == [("api_key.revoke", "root@example.test", "key:shop"),
                                                            ("api_key.create", "system", "key:shop")]
    assert keys.list()[0].revoked_at is not None


def test_scopes_gate_routes_and_each_key_has_its_rate_limit(keys):
    recs = keys.create("recs-only", "recs")
    limited = keys.create("limited", "models", rate_per_minute=2)
    with make_client(keys, [], {}) as client:
        assert_error(client.get("/v1/models", headers={"X-API-Key": recs}), 403, "permission_denied")
        assert_error(client.get("/v1/models"), 401, "unauthorized")
        codes = [client.get("/v1/models", headers={"X-API-Key": limited}).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        r = client.get("/v1/models", headers={"X-API-Key": limited})
        assert_error(r, 429, "rate_limited")
        assert "key:limited" in r.json()["error"]["message"] and r.headers["Retry-After"]


def test_cli_creates_lists_and_revokes(tmp_path, capsys):
    from shared.cli.main import main

    url = f"sqlite:///{tmp_path / 'cli-suite.db'}"
    main(["keys", "create", "crm", "--scopes", "monitor.read,monitor.write", "--db", url])
    token = capsys.readouterr().out.strip()
    assert token.startswith("vk_")
    main(["keys", "list", "--db", url])
    listed = capsys.readouterr().out
    assert "crm\tmonitor.read,monitor.write\t600/min" in listed and token not in listed
    with pytest.raises(SystemExit) as exit_:
        main(["keys", "create", "crm2", "--scopes", "everything", "--db", url])
    assert exit_.value.code == 2 and "unknown scope(s) 'everything'" in capsys.readouterr().err
    main(["keys", "revoke", "crm", "--db", url])
    assert KeyStore(url).identify(token) is None


def test_keys_on_postgresql(pg_empty_urls):
    store = KeyStore(pg_empty_urls[1])
    try:
        token = store.create("pg-client", ",".join(SCOPES))
        who = store.identify(token)
        assert who is not None and who.name == "key:pg-client" and who.can("monitor.ack")
        grant = store.grant("bot/construction/conversation/7")
        assert store.resource_of(grant) == "bot/construction/conversation/7" and store.resource_of("nope") is None
        store.revoke("pg-client")
        assert store.identify(token) is None
        assert [e.action for e in audit.entries(store.engine)] == ["api_key.revoke", "api_key.create"]
    finally:
        store.dispose()
