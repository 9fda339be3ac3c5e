"""Local accounts in the suite database: add, list, disable/enable, reset a password, change a role.

Every change needs `suite.admin` and writes its audit row in the same transaction. Passwords are kept only
as argon2id hashes (`passwords.py`). The suite database is the one at `suite_url()`; it also holds the audit
trail of user and model-registry changes.
"""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Boolean, Integer, String, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from shared import audit
from shared.auth.errors import InvalidUserError, SignInError, UnknownUserError, UserExistsError
from shared.auth.identity import Identity, require
from shared.auth.passwords import DUMMY_HASH, hash_password, needs_rehash, verify_password
from shared.auth.roles import ROLES
from shared.db import Database, UTCDateTime, ensure_schema, suite_url

_EMAIL = re.compile(r"^[^@\s]{1,200}@[^@\s]{1,118}\.[^@\s]+$")


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(40))
    # None for an account that signs in only through OIDC.
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)



@dataclass(frozen=True)
class UserView:
    """An account without its hash: what lists and pages may show."""
    email: str
    display_name: str
    role: str
    disabled: bool
    has_password: bool
    created_at: datetime
    updated_at: datetime

    def identity(self) -> Identity:
        return Identity(name=self.email, role=self.role, kind="user")


def check_email(email: str) -> str:
    value = (email or "").strip().lower()
    if not _EMAIL.match(value):
        raise InvalidUserError(f"{email!r} is not an e-mail address; accounts are named by e-mail, e.g. ana@example.com.")
    return value


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidUserError(f"unknown role {role!r}; choose one of {', '.join(ROLES)} (see docs/teams.md)")
    return role


def _view(u: User) -> UserView:
    return UserView(email=u.email, display_name=u.display_name, role=u.role, disabled=u.disabled,
                    has_password=u.password_hash is not None, created_at=audit.utc(u.created_at),
                    updated_at=audit.utc(u.updated_at))


def _state(u: User) -> dict[str, object]:
    """What the audit trail shows of an account (never the hash)."""
    return {"role": u.role, "disabled": u.disabled, "display_name": u.display_name}


class UserStore:
    def __init__(self, url: str | None = None, *, engine: Engine | None = None) -> None:
        if engine is not None:
            self.db = Database(url or engine.url.render_as_string(hide_password=False), engine=engine)
        else:
            self.db = Database(suite_url(url))
        from shared.suite_db import CHAIN  # the suite's chain imports this module's models

        ensure_schema(CHAIN, self.db.engine)
        self.url, self.engine = self.db.url, self.db.engine

    def session(self) -> AbstractContextManager[Session]:
        return self.db.session()

    # ---- reading --------------------------------------------------------------------------------------
    def all(self) -> list[UserView]:
        with self.session() as s:
            return [_view(u) for u in s.scalars(select(User).order_by(User.email))]

    def get(self, email: str) -> UserView | None:
        with self.session() as s:
            u = s.scalar(select(User).where(User.email == email.strip().lower()))
            return _view(u) if u else None

    def count_sign_in(self) -> int:
        """Enabled accounts with a password: anyone who can use the login form."""
        with self.session() as s:
            return int(s.scalar(select(func.count(User.id)).where(User.disabled.is_(False),
                                                                   User.password_hash.is_not(None))) or 0)

    def active_identity(self, email: str) -> Identity | None:
        """The identity of an enabled account (the gate re-checks this on every page run)."""
        user = self.get(email)
        return user.identity() if user and not user.disabled else None

    # ---- sign-in --------------------------------------------------------------------------------------
    def authenticate(self, email: str, password: str, now: datetime | None = None) -> Identity:
        """The identity for a correct e-mail and password of an enabled account; else `SignInError`.

        The message does not say which part was wrong; an unknown e-mail costs one argon2 verify too.
        """
        key = (email or "").strip().lower()
        with self.session() as s:
            u = s.scalar(select(User).where(User.email == key))
            ok = verify_password(u.password_hash if u and u.password_hash else DUMMY_HASH, password or "")
            if not u or not u.password_hash or not ok:
                raise SignInError("Wrong e-mail or password.")
            if u.disabled:
                raise SignInError(f"The account {key} is disabled; ask an admin to enable it.")
            if needs_rehash(u.password_hash):
                u.password_hash = hash_password(password)
                u.updated_at = audit.utc(now or datetime.now(timezone.utc))
            return Identity(name=u.email, role=u.role, kind="user")

    # ---- changes (suite.admin, audited) ---------------------------------------------------------------
    def add(self, email: str, role: str, password: str | None = None, display_name: str = "", *,
            actor: Identity | None = None, now: datetime | None = None) -> UserView:
        """A new account; `password=None` makes an OIDC-only account (its role comes from here)."""
        require(actor, "suite.admin")
        email, role = check_email(email), check_role(role)
        if len(display_name) > 200:
            raise InvalidUserError(f"A display name has at most 200 characters, got {len(display_name)}.")
        hashed = hash_password(password) if password is not None else None  # before the transaction: slow
        at = audit.utc(now or datetime.now(timezone.utc))
        with self.session() as s:
            if s.scalar(select(User.id).where(User.email == email)) is not None:
                raise UserExistsError(f"An account {email} already exists; use `verticals users set-role` or "
                                      "`reset-password` to change it.")
            u = User(email=email, display_name=display_name.strip(), role=role, password_hash=hashed,
                     disabled=False, created_at=at, updated_at=at)
            s.add(u)
            s.flush()
            audit.record(s, actor, "user.add", email, None, _state(u), now=at)
            return _view(u)

    def disable(self, email: str, *, actor: Identity | None = None, now: datetime | None = None) -> UserView:
        return self._change(email, "user.disable", actor, now, disabled=True)

    def enable(self, email: str, *, actor: Identity | None = None, now: datetime | None = None) -> UserView:
        return self._change(email, "user.enable", actor, now, disabled=False)

    def set_role(self, email: str, role: str, *, actor: Identity | None = None,
                 now: datetime | None = None) -> UserView:
        return self._change(email, "user.set_role", actor, now, role=check_role(role))

    def reset_password(self, email: str, password: str, *, actor: Identity | None = None,
                       now: datetime | None = None) -> UserView:
        require(actor, "suite.admin")
        return self._change(email, "user.reset_password", actor, now, password_hash=hash_password(password))

    def _change(self, email: str, action: str, actor: Identity | None, now: datetime | None,
                **values: object) -> UserView:
        require(actor, "suite.admin")
        key = check_email(email)
        at = audit.utc(now or datetime.now(timezone.utc))
        with self.session() as s:
            u = s.scalar(select(User).where(User.email == key))
            if u is None:
                raise UnknownUserError(f"No account {key}; see `verticals users list`, or add it with "
                                       f"`verticals users add {key} --role ROLE`.")
            before = _state(u)
            for name, value in values.items():
                setattr(u, name, value)
            u.updated_at = at
            s.flush()
            if before["role"] == "admin" and (u.disabled or u.role != "admin"):
                admins = s.scalar(select(func.count(User.id)).where(User.role == "admin", User.disabled.is_(False)))
                if not admins:
                    raise InvalidUserError(f"{key} is the last enabled admin; make another account admin first.")
            after = _state(u) | ({"password": "reset"} if "password_hash" in values else {})
            audit.record(s, actor, action, key, before, after, now=at)
            return _view(u)

    def trail(self, *, actor: Identity | None = None, since: datetime | None = None,
              action: str | None = None, limit: int | None = None) -> list[audit.AuditEntry]:
        """The suite's own trail (users, model registry); admins only."""
        require(actor, "suite.admin")
        return audit.entries(self.engine, since=since, action=action, limit=limit)

