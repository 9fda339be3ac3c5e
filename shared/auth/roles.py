"""The roles a team member can hold and the permissions each grants (the table in docs/teams.md).

Permissions are strings `area.verb`; a service function names the one it needs. Admin holds every one.
"""

from __future__ import annotations

PERMISSIONS: dict[str, str] = {
    "bot.chat": "chat in the console, send and edit replies, hand over, rate",
    "bot.supervise": "knowledge base, templates, calibration, retrain/promote, analytics, audit",
    "monitor.read": "dashboard, items, trends, alerts",
    "monitor.ack": "acknowledge and resolve alerts",
    "monitor.admin": "sources, rules, sinks, watch list, audit",
    "rec.use": "preview and A/B recommendations",
    "rec.configure": "save and delete recommender configurations, audit",
    "models.read": "predict and embed with registered models",
    "models.manage": "promote and roll back registered models",
    "suite.admin": "users, API keys, the whole audit trail",
}

ROLES: dict[str, frozenset[str]] = {
    "agent": frozenset({"bot.chat"}),
    "supervisor": frozenset({"bot.chat", "bot.supervise", "models.read", "models.manage"}),
    "risk_analyst": frozenset({"monitor.read", "monitor.ack"}),
    "risk_admin": frozenset({"monitor.read", "monitor.ack", "monitor.admin", "models.read", "models.manage"}),
    "product": frozenset({"rec.use", "rec.configure", "models.read"}),
    "admin": frozenset(PERMISSIONS),
}
