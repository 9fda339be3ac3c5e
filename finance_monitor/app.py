"""Risk dashboard (Streamlit): thin pages over the monitor's service modules.

Run: `streamlit run finance_monitor/app.py` (the store is `$VERTICALS_MONITOR_DB` or SQLite under
`$VERTICALS_HOME`). No SQL, models or rules logic here — only rendering and calls.
"""

from __future__ import annotations

from datetime import datetime, timezone

import streamlit as st
import yaml

from finance_monitor import alerts, discovery, ingest, mentions, queries, rule_store, views
from finance_monitor.errors import MonitorError
from finance_monitor.rules import Rule
from finance_monitor.settings import default_db_url
from finance_monitor.store import Store
from shared.audit_page import render_audit
from shared.auth import PermissionDenied
from shared.auth.streamlit_gate import gate
from shared.ui import render_sidebar

st.set_page_config(page_title="Risk monitor", layout="wide")
identity = gate("monitor.read", title="Risk monitor")


@st.cache_resource
def get_store(url: str) -> Store:
    return Store(url)


def now() -> datetime:
    return datetime.now(timezone.utc)


def overview(store: Store) -> None:
    st.header("Overview")
    c = queries.counts(store)
    cols = st.columns(4)
    for col, (label, key) in zip(cols, [("Items", "items"), ("Scored", "scored"), ("Open alerts", "open_alerts"),
                                        ("Pending notifications", "pending_notifications")]):
        col.metric(label, c[key])
    freq = st.radio("Buckets", ["1D", "1h"], horizontal=True, key="freq")
    topics = views.top_topics(store, 8, freq)
    chosen = st.multiselect("Topics", topics, default=topics[:6], key="topics")
    smooth = st.slider("Smoothing (buckets)", 1, 14, 7 if freq == "1D" else 1, key="smooth")
    t = queries.trends(store, freq, "topic", chosen or None)
    st.subheader("Sentiment index per topic (mean of p(positive) − p(negative))")
    st.line_chart(views.wide(t, "mean_sentiment", smooth))
    st.subheader("Volume per topic")
    st.area_chart(views.wide(t, "volume", smooth))
    allc = queries.trends(store, freq, "all")
    st.subheader("Negative share, all coverage")
    st.line_chart(views.wide(allc, "neg_share", smooth))
    st.subheader("Open alerts")
    st.dataframe(queries.alerts(store), hide_index=True, width="stretch")
    st.subheader("Alert timeline (every alert fired, oldest first)")
    st.dataframe(views.alert_timeline(store), hide_index=True, width="stretch")


def alert_feed(store: Store) -> None:
    st.header("Alerts")
    show_resolved = st.checkbox("Show resolved", key="show_resolved")
    df = queries.alerts(store, ("open", "acknowledged", "resolved") if show_resolved else ("open", "acknowledged"))
    if df.empty:
        st.info("No alerts.")
        return
    st.dataframe(df[["id", "severity", "status", "rule", "subject", "first_fired_at", "message"]],
                 hide_index=True, width="stretch")
    labels = {int(r.id): f"#{r.id} [{r.severity}] {r.status} — {r.message}" for r in df.itertuples()}
    alert_id = st.selectbox("Alert", list(labels), format_func=labels.get, key="alert_id")
    left, right = st.columns(2)
    try:
        if left.button("Acknowledge", key="ack", disabled=not identity.can("monitor.ack")):
            alerts.acknowledge(store, alert_id, None, now(), actor=identity)
            st.success(f"Alert #{alert_id} acknowledged")
            st.rerun()
        if right.button("Resolve", key="resolve", disabled=not identity.can("monitor.ack")):
            alerts.resolve(store, alert_id, None, now(), actor=identity)
            st.success(f"Alert #{alert_id} resolved")
            st.rerun()
    except (MonitorError, PermissionDenied) as exc:
        st.error(str(exc))
    st.subheader("Items behind this alert")
    st.dataframe(views.item_table(queries.alert_items(store, alert_id)), hide_index=True, width="stretch")


def entity_page(store: Store) -> None:
    st.header("Entities")
    emerging_section(store)
    query = st.text_input("Ticker or company", key="entity_query")
    names = [e for e in queries.entities(store) if query.lower().lstrip("$") in e.lower()] if query else \
        queries.entities(store)
    if not names:
        st.info("No entity matches; add companies to the watch list with `verticals monitor watch NAME`.")
        return
    entity = st.selectbox("Entity", names, key="entity")
    t = queries.trends(store, "1D", "entity", [entity])
    st.subheader(f"{entity}: daily sentiment and volume")
    st.line_chart(views.wide(t, "mean_sentiment"))
    st.bar_chart(views.wide(t, "volume"))
    st.subheader("Latest items")
    items = queries.entity_items(store, entity)
    st.dataframe(views.item_table(items), hide_index=True, width="stretch")
    found = mentions.item_mentions(store, items["item_id"].head(20).tolist()) if not items.empty else {}
    for row in items.head(20).itertuples():
        spans = [(m.start, m.end, m.type) for m in found.get(row.item_id, []) if m.field == "title"]
        st.html(f"<div>{row.published_at:%Y-%m-%d} · {views.highlight_html(row.title, spans)}</div>")


def emerging_section(store: Store) -> None:
    """New or rising names the NER model found that are not on the watch list; one click watches one."""
    st.subheader("Emerging entities (discovered, not on the watch list)")
    latest = queries.latest_published(store)
    if latest is None:
        st.info("No items yet.")
        return
    day = st.date_input("As of", value=latest.date(), key="emerging_day")
    as_of = datetime.combine(day, datetime.max.time(), tzinfo=timezone.utc)
    table = discovery.emerging(store, as_of)
    if table.empty:
        st.info("No new or rising discovered entities in the 7 days before that date.")
        return
    st.dataframe(views.emerging_table(table), hide_index=True, width="stretch")
    for i, row in enumerate(table.head(10).itertuples()):
        cols = st.columns([4, 1])
        cols[0].write(f"**{row.status}** {row.type} · {row.recent_items} items, "
                      f"{'n/a' if row.neg_share != row.neg_share else f'{row.neg_share:.0%}'} negative")
        cols[0].text(row.entity)  # plain text: the name came from a feed
        if cols[1].button("Watch", key=f"watch_{i}"):
            discovery.watch_entity(store, row.entity)
            st.success(f"Now watching {row.entity}")


def sources_page(store: Store) -> None:
    st.header("Sources")
    df = queries.sources(store)
    st.dataframe(df, hide_index=True, width="stretch")
    if not df.empty:
        name = st.selectbox("Source", df["name"].tolist(), key="source")
        a, b, c = st.columns(3)
        try:
            if a.button("Pause", key="pause"):
                ingest.set_paused(store, name, True, actor=identity, now=now())
                st.rerun()
            if b.button("Resume", key="resume"):
                ingest.set_paused(store, name, False, actor=identity, now=now())
                st.rerun()
            if c.button("Remove", key="remove"):
                ingest.remove_source(store, name, actor=identity, now=now())
                st.rerun()
        except MonitorError as exc:
            st.error(str(exc))
    with st.form("add_source"):
        st.subheader("Add a source")
        name = st.text_input("Name")
        kind = st.selectbox("Kind", ["rss", "folder", "replay"])
        location = st.text_input("URL / folder / archive")
        interval = st.number_input("Fetch every (s)", min_value=30, value=300)
        if st.form_submit_button("Add"):
            try:
                ingest.add_source(store, name, kind, location, interval_s=int(interval), now=now(),
                                 actor=identity)
                st.success(f"Source {name} added")
            except MonitorError as exc:
                st.error(str(exc))


def rules_page(store: Store) -> None:
    st.header("Rules")
    rules = rule_store.list_rules(store)
    st.dataframe([{"enabled": on, **r.to_dict()} for r, on in rules], hide_index=True, width="stretch")
    names = [r.name for r, _ in rules]
    current = st.selectbox("Edit rule", ["(new rule)"] + names, key="rule")
    rule, enabled = next(((r, on) for r, on in rules if r.name == current),
                         (Rule(name="new-rule", kind="negative_share"), True))
    text = st.text_area("Rule (YAML)", yaml.safe_dump(rule.to_dict(), sort_keys=False), height=360, key="rule_yaml")
    on = st.checkbox("Enabled", value=enabled, key="rule_enabled")
    if st.button("Save rule", key="save_rule"):
        try:
            new = Rule.from_dict(yaml.safe_load(text) or {})
            rule_store.save_rule(store, new, now(), enabled=on, actor=identity)
            st.success(f"Rule {new.name} saved")
        except (MonitorError, yaml.YAMLError) as exc:
            st.error(f"Not saved: {exc}")


def audit_page(store: Store) -> None:
    render_audit(st, lambda **kw: queries.audit_trail(store, actor=identity, **kw), "monitor")


PAGES = {"Overview": overview, "Alerts": alert_feed, "Entities": entity_page, "Sources": sources_page,
         "Rules": rules_page, "Audit": audit_page}
ADMIN_PAGES = {"Sources", "Rules", "Audit"}  # sources, rules and the trail need monitor.admin


def main() -> None:
    store = get_store(default_db_url())
    pages = [p for p in PAGES if p not in ADMIN_PAGES or identity.can("monitor.admin")]
    page = st.sidebar.radio("Page", pages, key="page")
    st.sidebar.caption(f"Store: {store.masked_url}")
    PAGES[page](store)
    render_sidebar(st, ["fin-sentiment", "fin-topic", "fin-ner"])


main()
