"""Rules kept in the database (editable from the CLI and the dashboard), validated on every write."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from finance_monitor.errors import NotFoundError
from finance_monitor.rules import DEFAULT_RULES, Rule
from finance_monitor.store import RuleRow, Store, record_audit
from shared.auth import Identity, require


def save_rule(store: Store, rule: Rule, now: datetime, enabled: bool = True, *,
              actor: Identity | None = None) -> None:
    """Insert or replace the rule of that name (the spec was validated by `Rule` already)."""
    require(actor, "monitor.admin")
    with store.session() as s:
        row = s.scalar(select(RuleRow).where(RuleRow.name == rule.name))
        before = None if row is None else {"spec": row.spec, "enabled": row.enabled}
        if row is None:
            s.add(RuleRow(name=rule.name, spec=rule.to_dict(), enabled=enabled, updated_at=now))
        else:
            row.spec, row.enabled, row.updated_at = rule.to_dict(), enabled, now
        record_audit(s, actor, "rule.save", f"rule {rule.name}", before,
                     {"spec": rule.to_dict(), "enabled": enabled}, now=now)


def save_rules(store: Store, rules: Iterable[Rule], now: datetime, *, actor: Identity | None = None) -> None:
    for rule in rules:
        save_rule(store, rule, now, actor=actor)


def list_rules(store: Store, *, enabled_only: bool = False) -> list[tuple[Rule, bool]]:
    with store.session() as s:
        q = select(RuleRow).order_by(RuleRow.name)
        if enabled_only:
            q = q.where(RuleRow.enabled.is_(True))
        return [(Rule.from_dict(r.spec), r.enabled) for r in s.scalars(q)]


def set_enabled(store: Store, name: str, enabled: bool, now: datetime, *, actor: Identity | None = None) -> None:
    require(actor, "monitor.admin")
    with store.session() as s:
        row = s.scalar(select(RuleRow).where(RuleRow.name == name))
        if row is None:
            raise NotFoundError(f"no rule named {name!r}")
        before = row.enabled
        row.enabled, row.updated_at = enabled, now
        record_audit(s, actor, "rule.enable" if enabled else "rule.disable", f"rule {name}",
                     {"enabled": before}, {"enabled": enabled}, now=now)


def delete_rule(store: Store, name: str, *, actor: Identity | None = None, now: datetime | None = None) -> None:
    require(actor, "monitor.admin")
    with store.session() as s:
        row = s.scalar(select(RuleRow).where(RuleRow.name == name))
        if row is None:
            raise NotFoundError(f"no rule named {name!r}")
        record_audit(s, actor, "rule.delete", f"rule {name}", {"spec": row.spec, "enabled": row.enabled}, None,
                     now=now)
        s.delete(row)


def ensure_default_rules(store: Store, now: datetime) -> None:
    """Seed the default rules once; never overwrite the user's edits."""
    with store.session() as s:
        if s.scalar(select(RuleRow.id).limit(1)) is not None:
            return
    save_rules(store, DEFAULT_RULES, now)
