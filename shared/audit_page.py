"""The Audit page every console shows to supervisors and admins: filters, the table, a CSV download.

It renders what `read(since=..., action=...)` returns — the app's own service function, which checks the
permission — so the page holds no SQL and no permission logic of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from typing import Any

from shared.audit import AuditEntry, to_csv


def render_audit(st: Any, read: Callable[..., list[AuditEntry]], app: str, now: datetime | None = None) -> None:
    st.header("Audit trail")
    left, right = st.columns(2)
    days = left.number_input("Last days", min_value=1, max_value=3650, value=30, key="audit_days")
    action = right.text_input("Action starts with (e.g. alert., kb., rule.)", key="audit_action")
    since = (now or datetime.now(timezone.utc)) - timedelta(days=int(days))
    rows = read(since=since, action=action.strip() or None)
    if not rows:
        st.info("No recorded changes in this window.")
        return
    st.dataframe([{**asdict(r), "at": r.at.strftime("%Y-%m-%d %H:%M:%S")} for r in rows], hide_index=True,
                 width="stretch")
    st.download_button("Download CSV", to_csv(rows, app=app), file_name=f"audit-{app}.csv", mime="text/csv",
                       key="audit_csv")
