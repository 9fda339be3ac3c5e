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

def _guards(name: str) -> dict[str, list[str]]:
    """The triggers that refuse UPDATE and DELETE on trail table `name`, per back-end."""
    return {
        "sqlite": [(f"CREATE TRIGGER IF NOT EXISTS {name}_no_update BEFORE UPDATE ON {name} "
                   f"BEGIN SELECT RAISE(ABORT, '{name} is append-only'); END"),
                   (f"CREATE TRIGGER IF NOT EXISTS {name}_no_delete BEFORE DELETE ON {name} "
                   f"BEGIN SELECT RAISE(ABORT, '{name} is append-only'); END")],
        "postgresql": [(f"CREATE OR REPLACE FUNCTION {name}_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                       f"$$ BEGIN RAISE EXCEPTION '{name} is append-only'; END $$"),
                       (f"CREATE TRIGGER {name}_append_only BEFORE UPDATE OR DELETE ON {name} "
                       f"FOR EACH ROW EXECUTE FUNCTION {name}_append_only()")],
    }


def table_name(store: str | None = None) -> str:
    """`audit_log` for the suite database, `audit_log_<store>` for an app's store: stores that share one
    PostgreSQL database (each with its own migration chain) then never share, or fight over, one table."""
    return f"audit_log_{store}" if store else "audit_log"


def make_table(name: str, md: MetaData) -> Table:
    """A trail table (same columns everywhere) with its append-only guards attached to its creation."""
    table = Table(
        name, md,
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
    for dialect, statements in _guards(name).items():
        for statement in statements:
            event.listen(table, "after_create", DDL(statement).execute_if(dialect=dialect))
    return table


metadata = MetaData()
audit_log = make_table("audit_log", metadata)  # the suite database's trail (users, model registry)


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


def ensure_table(engine: Engine, table: Table = audit_log) -> None:
    """Create the trail table (and its guards) if missing: for scratch databases and tests; a store gets its
    table through its migration chain (`create_table_revision`)."""
    create_schema(table.metadata, engine)


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
           before: Any = None, after: Any = None, now: datetime | None = None, *, table: Table = audit_log) -> None:
    """Append one row inside the caller's transaction (`actor=None` is the single-user operator, SYSTEM)."""
    who = actor or SYSTEM
    session_or_conn.execute(insert(table).values(
        at=utc(now or datetime.now(timezone.utc)), actor=who.name[:320], actor_kind=who.kind, role=who.role,
        action=action[:80], target=str(target)[:500], before=short_json(before), after=short_json(after)))


def entries(engine_or_conn: Engine | Connection | Session, *, since: datetime | None = None,
            action: str | None = None, actor: str | None = None, limit: int | None = None,
            table: Table = audit_log) -> list[AuditEntry]:
    """Rows newest first; `action` matches a prefix ("alert." finds every alert action)."""
    q = select(table).order_by(table.c.id.desc())
    if since is not None:
        q = q.where(table.c.at >= utc(since))
    if action:
        q = q.where(table.c.action.startswith(action, autoescape=True))
    if actor:
        q = q.where(table.c.actor == actor)
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


def create_table_revision(op: Any, name: str) -> None:
    """Trail table `name` as first released, with its append-only guards: what a store's Alembic revision
    that adds the trail calls (`op` is `alembic.op`). Frozen: a later change to the table is a new revision."""
    import sqlalchemy as sa

    op.create_table(
        name,
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("actor_kind", sa.String(length=20), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("target", sa.String(length=500), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("action", "actor", "at"):
        op.create_index(f"ix_{name}_{column}", name, [column], unique=False)
    for statement in _guards(name).get(op.get_bind().dialect.name, []):
        op.execute(statement)


def drop_table_revision(op: Any, name: str) -> None:
    op.drop_table(name)  # its indexes and triggers go with it
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {name}_append_only()")
