"""Suite navigation for the apps' sidebars (links to the three apps and the models each one uses), and
`as_text` for showing text from outside (customers, documents, feeds) as text, never as Markdown."""

from __future__ import annotations

from typing import Any, Iterable

from shared.registry import Registry
from shared.errors import RegistryError


_MARKDOWN_SPECIAL = "\\`*_{}[]()<>#+-.!|~$:&\"'=^@/;?%,"  # ASCII punctuation CommonMark lets one escape


def as_text(value: object) -> str:
    """`value` escaped for st.markdown / st.write / captions / widget labels, so it shows exactly as typed.

    Text a customer, a document or a feed wrote must not become a link, a remote image (which the agent's
    browser would fetch), a heading or a colour directive. Every Markdown control character gets a
    backslash; line breaks are kept as breaks."""
    text = "" if value is None else str(value)
    escaped = "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else ch for ch in text)
    return escaped.replace("\r\n", "\n").replace("\n", "  \n")


def model_rows(names: Iterable[str], registry: Registry | None = None) -> list[dict[str, Any]]:
    """Name, current version and test metrics of each registered model (missing ones say so)."""
    registry = registry or Registry()
    rows = []
    for name in names:
        try:
            card = registry.current(name)
            metrics = ", ".join(f"{k} {v:.3f}" for k, v in card.metrics.items() if isinstance(v, (int, float)))
            rows.append({"model": name, "version": card.version, "method": card.method, "test metrics": metrics})
        except RegistryError:
            rows.append({"model": name, "version": "not trained", "method": "", "test metrics": ""})
    return rows


def suite_links() -> list[tuple[str, str]]:
    from shared.cli.suite import APPS
    from shared.settings import get_settings

    s = get_settings()
    ports = s.ports.model_dump()
    return [(label, f"http://{s.host if s.host != '0.0.0.0' else 'localhost'}:{ports[app]}") for app, label in APPS.items()]


def render_sidebar(st: Any, model_names: Iterable[str]) -> None:
    """Call from an app page: `render_sidebar(st, ["fin-sentiment", "fin-topic"])`."""
    with st.sidebar:
        st.markdown("**verticals suite**")
        for label, url in suite_links():
            st.markdown(f"- [{label}]({url})")
        st.caption("Models in use (from the registry)")
        # Markdown, not a table: the pages' own tables stay the only ones on screen.
        for row in model_rows(model_names):
            detail = f"{row['version']} · {row['method']} · {row['test metrics']}".strip(" ·")
            st.markdown(f"- `{row['model']}` {detail}")
