"""The append-only audit trail: who did what, when, to which object, with a short before/after.

One table, `audit_log`, lives in the database of the store that changed (each app's store; the suite
database for users and the model registry). `record` takes the caller's open session or connection, so the
row commits or rolls back with the change itself. There is no update or delete path here, and on SQLite and
PostgreSQL a trigger refuses UPDATE and DELETE on the table, so a bug elsewhere cannot rewrite history.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import DDL, Column, DateTime, Integer, MetaData, String, Table, Text, event, insert, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from shared.auth.identity import SYSTEM, Identity
from shared.db import create_schema

MAX_JSON_CHARS = 2000  # "short": enough to see what changed, never a whole document

metadata = MetaData()
audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("actor", String(320), nullable=False, index=True),
    Column("actor_kind", String(20), nullable=False),
    Column("role", String(40), nullable=False),
    Column("action", String(80), nullable=False, index=True),
    Column("target", String(500), nullable=False),
    Column("before", Text, nullable=True),
    Column("after", Text, nullable=True),
)

_SQLITE_GUARDS = [
    DDL("CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"),
    DDL("CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"),
]
_PG_GUARDS = [
    DDL("CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$"),
    DDL("CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"),
]
for _ddl in _SQLITE_GUARDS:
    event.listen(audit_log, "after_create", _ddl.execute_if(dialect="sqlite"))
for _ddl in _PG_GUARDS:
    event.listen(audit_log, "after_create", _ddl.execute_if(dialect="postgresql"))


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    actor_kind: str
    role: str
    action: str
    target: str
    before: str | None
    after: str | None


def ensure_table(engine: Engine) -> None:
    """Create `audit_log` (and its append-only triggers) in this store's database if missing."""
    create_schema(metadata, engine)


def short_json(value: Any) -> str | None:
    """`value` as compact JSON, cut to `MAX_JSON_CHARS` (an ellipsis marks a cut)."""
    if value is None:
        return None
    text = json.dumps(value, default=str, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= MAX_JSON_CHARS else text[:MAX_JSON_CHARS - 1] + "…"


def utc(at: datetime) -> datetime:
    """Aware UTC: SQLite hands back naive datetimes that were written as UTC."""
    return at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)


def record(session_or_conn: Session | Connection, actor: Identity | None, action: str, target: str,
           before: Any = None, after: Any = None, now: datetime | None = None) -> None:
    """Append one row inside the caller's transaction (`actor=None` is the single-user operator, SYSTEM)."""
    who = actor or SYSTEM
    session_or_conn.execute(insert(audit_log).values(
        at=utc(now or datetime.now(timezone.utc)), actor=who.name[:320], actor_kind=who.kind, role=who.role,
        action=action[:80], target=str(target)[:500], before=short_json(before), after=short_json(after)))


def entries(engine_or_conn: Engine | Connection | Session, *, since: datetime | None = None,
            action: str | None = None, actor: str | None = None, limit: int | None = None) -> list[AuditEntry]:
    """Rows newest first; `action` matches a prefix ("alert." finds every alert action)."""
    q = select(audit_log).order_by(audit_log.c.id.desc())
    if since is not None:
        q = q.where(audit_log.c.at >= utc(since))
    if action:
        q = q.where(audit_log.c.action.startswith(action, autoescape=True))
    if actor:
        q = q.where(audit_log.c.actor == actor)
    if limit:
        q = q.limit(limit)
    if isinstance(engine_or_conn, Engine):
        with engine_or_conn.connect() as conn:
            rows = conn.execute(q).mappings().all()
    else:
        rows = engine_or_conn.execute(q).mappings().all()
    return [AuditEntry(**{**row, "at": utc(row["at"])}) for row in rows]


def _cell(value: Any) -> Any:
    """A spreadsheet runs a cell starting with = + - @ as a formula: a quote keeps user text inert."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(rows: Iterable[AuditEntry], app: str | None = None) -> str:
    """CSV with a header; `app` adds a first column naming which store each row came from."""
    out = io.StringIO()
    fields = [*(["app"] if app is not None else []), "id", "at", "actor", "actor_kind", "role", "action",
              "target", "before", "after"]
    writer = csv.DictWriter(out, fieldnames=fields)
    writer.writeheader()
    for r in rows:
        row = asdict(r)
        row["at"] = r.at.isoformat()
        if app is not None:
            row["app"] = app
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return out.getvalue()
