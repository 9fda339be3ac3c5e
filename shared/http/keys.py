"""API keys for machine clients and conversation tokens for customers, in the suite database.

A key is shown once at creation; only the sha256 of it is stored (the token has 256 bits of entropy,
so a plain hash is enough: there is nothing to brute-force). A key acts as `Identity(name="key:NAME")`
whose permissions are exactly its scopes, so `require(actor, ...)` in the service functions and the
audit trail treat it like any other actor.

A channel token grants one resource (e.g. one customer conversation) and nothing else.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, select
from sqlalchemy.engine import Engine

from shared import audit
from shared.auth import Identity
from shared.db import Database, ensure_schema, suite_url
from shared.errors import VerticalsError

# scope → the permissions (shared/auth/roles.py) it grants; "bot.channel" is the customer channel itself.
SCOPES: dict[str, frozenset[str]] = {
    "bot.channel": frozenset({"bot.channel"}),
    "bot.agent": frozenset({"bot.chat"}),
    "recs": frozenset({"rec.use"}),
    "models": frozenset({"models.read"}),
    "monitor.read": frozenset({"monitor.read"}),
    "monitor.write": frozenset({"monitor.read", "monitor.ack"}),
}
DEFAULT_RATE_PER_MINUTE = 600
KEY_PREFIX = "vk_"


class ApiKeyError(VerticalsError):
    """Base class for key-store errors."""


class InvalidRateError(ApiKeyError, ValueError):
    """A key's rate limit is negative."""


class UnknownScopeError(ApiKeyError, ValueError):
    """A scope is not one of SCOPES."""


class KeyExistsError(ApiKeyError, ValueError):
    """A key by that name already exists."""


class UnknownKeyError(ApiKeyError, LookupError):
    """No key by that name."""


@dataclass(frozen=True)
class KeyIdentity(Identity):
    """An API key acting: its permissions are its scopes, not a role's."""

    permissions: frozenset[str] = field(default_factory=frozenset)
    rate_per_minute: int = DEFAULT_RATE_PER_MINUTE

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("an identity needs a name")

    def can(self, permission: str) -> bool:
        return permission in self.permissions


@dataclass(frozen=True)
class KeyInfo:
    name: str
    scopes: tuple[str, ...]
    rate_per_minute: int
    created_at: datetime
    revoked_at: datetime | None


metadata = MetaData()  # in the suite database: see shared/suite_db.py for its migrations
api_keys = Table(
    "api_keys", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("scopes", Text, nullable=False),
    Column("rate_per_minute", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)
channel_tokens = Table(
    "api_channel_tokens", metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("resource", String(300), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


def check_key_name(name: str) -> str:
    from shared.names import check_name

    return check_name(name, what="API key")


def parse_scopes(scopes: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    items = [s.strip() for s in (scopes.split(",") if isinstance(scopes, str) else scopes) if s.strip()]
    if not items:
        raise UnknownScopeError(f"an API key needs at least one scope; choose from {', '.join(SCOPES)}")
    bad = [s for s in items if s not in SCOPES]
    if bad:
        raise UnknownScopeError(f"unknown scope(s) {', '.join(map(repr, bad))}; choose from {', '.join(SCOPES)}")
    return tuple(dict.fromkeys(items))


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes even for timezone=True columns; they were written as UTC.
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


class KeyStore:
    """API keys and channel tokens. `url` defaults to the suite database."""

    def __init__(self, url: str | None = None, *, engine: Engine | None = None) -> None:
        from shared.suite_db import CHAIN  # the suite's chain imports this module's tables

        self.db = (Database(suite_url(url)) if engine is None
                   else Database(url or engine.url.render_as_string(hide_password=False), engine=engine))
        ensure_schema(CHAIN, self.db.engine)
        self.engine = self.db.engine

    # ---- keys -----------------------------------------------------------------------------------------
    def create(self, name: str, scopes: str | list[str] | tuple[str, ...], *, actor: Identity | None = None,
               rate_per_minute: int = DEFAULT_RATE_PER_MINUTE, now: datetime | None = None) -> str:
        """Create key `name` and return its token: the only time it is ever shown."""
        from shared.auth import require

        who = require(actor, "suite.admin")
        name, scope_list = check_key_name(name), parse_scopes(scopes)
        if rate_per_minute < 0:
            raise InvalidRateError(f"rate limit must be >= 0 (0 = unlimited), got {rate_per_minute}")
        token = KEY_PREFIX + secrets.token_urlsafe(32)
        now = now or _utcnow()
        with self.engine.begin() as conn:
            if conn.execute(select(api_keys.c.id).where(api_keys.c.name == name)).first() is not None:
                raise KeyExistsError(f"an API key named {name!r} already exists; revoke it or choose another name")
            conn.execute(api_keys.insert().values(name=name, token_sha256=digest(token), scopes=",".join(scope_list),
                                                  rate_per_minute=rate_per_minute, created_at=now,
                                                  created_by=who.name))
            audit.record(conn, who, "api_key.create", f"key:{name}",
                   after={"scopes": list(scope_list), "rate_per_minute": rate_per_minute}, now=now)
        return token

    def list(self) -> list[KeyInfo]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(api_keys).order_by(api_keys.c.name)).all()
        return [KeyInfo(r.name, tuple(r.scopes.split(",")), r.rate_per_minute, _aware(r.created_at) or r.created_at,
                        _aware(r.revoked_at)) for r in rows]

    def revoke(self, name: str, *, actor: Identity | None = None, now: datetime | None = None) -> None:
        from shared.auth import require

        who = require(actor, "suite.admin")
        now = now or _utcnow()
        with self.engine.begin() as conn:
            row = conn.execute(select(api_keys).where(api_keys.c.name == name)).first()
            if row is None:
                raise UnknownKeyError(f"no API key named {name!r}; `verticals keys list` shows them")
            if row.revoked_at is None:
                conn.execute(api_keys.update().where(api_keys.c.id == row.id).values(revoked_at=now))
                audit.record(conn, who, "api_key.revoke", f"key:{name}", before={"scopes": row.scopes.split(",")}, now=now)

    def identify(self, token: str) -> KeyIdentity | None:
        """The identity of a live key, or None for an unknown or revoked one."""
        if not token or not token.startswith(KEY_PREFIX):
            return None
        with self.engine.connect() as conn:
            row = conn.execute(select(api_keys.c.name, api_keys.c.scopes, api_keys.c.rate_per_minute).where(
                api_keys.c.token_sha256 == digest(token), api_keys.c.revoked_at.is_(None))).first()
        if row is None:
            return None
        perms = frozenset().union(*(SCOPES.get(s, frozenset()) for s in row.scopes.split(",")))
        return KeyIdentity(name=f"key:{row.name}", role="api-key", kind="key", permissions=perms,
                           rate_per_minute=row.rate_per_minute)

    # ---- channel tokens -------------------------------------------------------------------------------
    def grant(self, resource: str, now: datetime | None = None) -> str:
        """A new token that opens `resource` (e.g. "bot/WORKSPACE/conversation/ID") and nothing else."""
        token = secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(channel_tokens.insert().values(token_sha256=digest(token), resource=resource,
                                                        created_at=now or _utcnow()))
        return token

    def resource_of(self, token: str) -> str | None:
        if not token:
            return None
        with self.engine.connect() as conn:
            return conn.execute(select(channel_tokens.c.resource).where(
                channel_tokens.c.token_sha256 == digest(token))).scalar()

    def dispose(self) -> None:
        self.engine.dispose()
