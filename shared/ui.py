"""Suite navigation for the apps' sidebars (links to every registered app and the models each page uses),
and `as_text` for showing text from outside (customers, documents, feeds) as text, never as Markdown."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from shared.apps import Registered, registered_apps
from shared.errors import RegistryError
from shared.registry import Registry

_ALWAYS = set("\\`*_{}[]()<>#!|~$")  # links, images, emphasis, code, HTML, headings, tables, maths
_LINE_START = re.compile(r"^(\s*)([-+=]|\d+[.)])", re.MULTILINE)  # list items, setext underlines
_AUTOLINK = re.compile(r"(?i)\b(https?|ftp|mailto|www)([:.])")  # bare URLs that GFM would turn into links


def as_text(value: object) -> str:
    """`value` escaped for st.markdown / st.write / captions / widget labels, so it shows exactly as typed.

    Text a customer, a document or a feed wrote must not become a link, a remote image (which the agent's
    browser would fetch), a heading or a colour directive. Markdown's control characters get a backslash
    (ordinary punctuation such as '.' or ':' only where it would start a list or a bare link), and line
    breaks are kept as breaks."""
    text = "" if value is None else str(value)
    escaped = "".join("\\" + ch if ch in _ALWAYS else ch for ch in text)
    escaped = _LINE_START.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], escaped)
    escaped = _AUTOLINK.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)
    return escaped.replace("\r\n", "\n").replace("\n", "  \n")


def model_rows(names: Iterable[str], registry: Registry | None = None) -> list[dict[str, Any]]:
    """Name, current version and test metrics of each registered model (missing ones say so)."""
    from shared.tasks.classification.baseline import short_comparison

    registry = registry or Registry()
    rows = []
    for name in names:
        try:
            card = registry.current(name)
            metrics = ", ".join(f"{k} {v:.3f}" for k, v in card.metrics.items() if isinstance(v, (int, float)))
            rows.append({"model": name, "version": card.version, "method": card.method, "test metrics": metrics,
                         "vs baseline": short_comparison(card.metrics)})
        except RegistryError:
            rows.append({"model": name, "version": "not trained", "method": "", "test metrics": "",
                         "vs baseline": ""})
    return rows


def suite_links(registered: Registered | None = None) -> list[tuple[str, str]]:
    """(label, URL) of every registered app's page, on the ports `verticals up` gives them."""
    from shared.settings import get_settings

    s = get_settings()
    apps = (registered if registered is not None else registered_apps()).apps
    host = s.host if s.host != "0.0.0.0" else "localhost"
    return [(app.label, f"http://{host}:{s.port(app)}") for app in apps]


def render_sidebar(st: Any, model_names: Iterable[str]) -> None:
    """Call from an app page: `render_sidebar(st, ["fin-sentiment", "fin-topic"])`."""
    registered = registered_apps()
    with st.sidebar:
        st.markdown("**verticals suite**")
        for label, url in suite_links(registered):
            st.markdown(f"- [{label}]({url})")
        for failure in registered.failures:  # reported where a user looks, never silently left out
            st.caption(f"⚠ {failure}")
        st.caption("Models in use (from the registry)")
        # Markdown, not a table: the pages' own tables stay the only ones on screen.
        for row in model_rows(model_names):
            detail = " · ".join(v for v in (row["version"], row["method"], row["test metrics"], row["vs baseline"]) if v)
            st.markdown(f"- `{row['model']}` {detail}")
