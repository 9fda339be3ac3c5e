"""Local accounts: argon2 hashes only, sign-in, admin-only changes, each change audited with its actor."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, text

from shared import audit
from shared.auth import Identity, PermissionDenied
from shared.auth.errors import (
    InvalidUserError,
    SignInError,
    UnknownUserError,
    UserExistsError,
    WeakPasswordError,
)
from shared.auth.users import User, UserStore

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)
ADMIN = Identity("root@example.com", "admin")
AGENT = Identity("ag@example.com", "agent")
PASSWORD = "correct horse battery staple"


@pytest.fixture
def store(suite_db: str) -> UserStore:
    s = UserStore(suite_db)
    yield s
    s.engine.dispose()


def test_password_is_stored_only_as_argon2id_hash(store: UserStore, tmp_path: Path) -> None:
    store.add("Ana@Example.com", "supervisor", PASSWORD, "Ana", actor=ADMIN, now=T0)
    with store.session() as s:
        row = s.scalar(select(User))
    assert row.email == "ana@example.com"
    assert row.password_hash.startswith("$argon2id$")
    assert PASSWORD not in row.password_hash
    with store.engine.connect() as conn:
        dumped = " ".join(str(v) for r in conn.execute(text("SELECT * FROM users")) for v in r)
        dumped += " ".join(str(v) for r in conn.execute(text("SELECT * FROM audit_log")) for v in r)
    assert PASSWORD not in dumped and "$argon2id$" in dumped
    if store.url.startswith("sqlite"):
        assert PASSWORD.encode() not in Path(store.url.removeprefix("sqlite:///")).read_bytes()


def test_sign_in_with_the_right_password_only(store: UserStore) -> None:
    store.add("ana@example.com", "supervisor", PASSWORD, actor=ADMIN)
    assert store.authenticate(" ANA@example.com ", PASSWORD) == Identity("ana@example.com", "supervisor", "user")
    with pytest.raises(SignInError, match="Wrong e-mail or password"):
        store.authenticate("ana@example.com", PASSWORD + "x")
    with pytest.raises(SignInError, match="Wrong e-mail or password"):
        store.authenticate("nobody@example.com", PASSWORD)
    store.disable("ana@example.com", actor=ADMIN)
    with pytest.raises(SignInError, match="disabled"):
        store.authenticate("ana@example.com", PASSWORD)
    assert store.active_identity("ana@example.com") is None
    store.enable("ana@example.com", actor=ADMIN)
    store.reset_password("ana@example.com", "a brand new passphrase", actor=ADMIN)
    with pytest.raises(SignInError):
        store.authenticate("ana@example.com", PASSWORD)
    assert store.authenticate("ana@example.com", "a brand new passphrase").role == "supervisor"


def test_bad_input_is_refused_and_nothing_written(store: UserStore) -> None:
    with pytest.raises(InvalidUserError, match="'not-an-email' is not an e-mail"):
        store.add("not-an-email", "agent", PASSWORD, actor=ADMIN)
    with pytest.raises(InvalidUserError, match="unknown role 'boss'"):
        store.add("a@example.com", "boss", PASSWORD, actor=ADMIN)
    with pytest.raises(WeakPasswordError, match="at least 10"):
        store.add("a@example.com", "agent", "short", actor=ADMIN)
    assert store.all() == [] and audit.entries(store.engine) == []
    store.add("a@example.com", "agent", PASSWORD, actor=ADMIN)
    with pytest.raises(UserExistsError, match="a@example.com already exists"):
        store.add("A@example.com", "admin", PASSWORD, actor=ADMIN)
    with pytest.raises(UnknownUserError, match="No account b@example.com"):
        store.set_role("b@example.com", "admin", actor=ADMIN)
    assert [(u.email, u.role) for u in store.all()] == [("a@example.com", "agent")]


def test_only_admins_change_accounts_and_the_last_admin_stays(store: UserStore) -> None:
    store.add("root@example.com", "admin", PASSWORD, actor=ADMIN)
    with pytest.raises(PermissionDenied, match="'suite.admin'"):
        store.add("x@example.com", "admin", PASSWORD, actor=AGENT)
    with pytest.raises(PermissionDenied):
        store.set_role("root@example.com", "agent", actor=AGENT)
    with pytest.raises(PermissionDenied):
        store.trail(actor=AGENT)
    with pytest.raises(InvalidUserError, match="last enabled admin"):
        store.disable("root@example.com", actor=ADMIN)
    assert store.get("root@example.com").disabled is False


def test_each_user_change_has_one_audit_row_with_its_actor(store: UserStore) -> None:
    store.add("ana@example.com", "agent", PASSWORD, actor=ADMIN, now=T0)
    store.set_role("ana@example.com", "supervisor", actor=ADMIN, now=T0)
    store.disable("ana@example.com", actor=Identity("boss@example.com", "admin"), now=T0)
    store.enable("ana@example.com", actor=ADMIN, now=T0)
    store.reset_password("ana@example.com", "another long secret", actor=ADMIN, now=T0)
    rows = list(reversed(store.trail(actor=ADMIN)))
    assert [(r.actor, r.action, r.target) for r in rows] == [
        ("root@example.com", "user.add", "ana@example.com"),
        ("root@example.com", "user.set_role", "ana@example.com"),
        ("boss@example.com", "user.disable", "ana@example.com"),
        ("root@example.com", "user.enable", "ana@example.com"),
        ("root@example.com", "user.reset_password", "ana@example.com"),
    ]
    assert rows[1].before == '{"disabled":false,"display_name":"","role":"agent"}'
    assert rows[1].after == '{"disabled":false,"display_name":"","role":"supervisor"}'
    assert rows[0].at == T0 and rows[0].at.tzinfo is not None
    assert "another long secret" not in (rows[4].after or "")


def test_a_failed_change_leaves_no_audit_row(store: UserStore) -> None:
    store.add("root@example.com", "admin", PASSWORD, actor=ADMIN)
    with pytest.raises(InvalidUserError):
        store.set_role("root@example.com", "agent", actor=ADMIN)
    assert [r.action for r in audit.entries(store.engine)] == ["user.add"]
