"""Agents' console (Streamlit): chat with proposals, knowledge base, analytics. Thin over the services."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from customer_service import analytics as an
from customer_service.console import conversation_label, conversation_view, ingest_uploads
from customer_service.errors import CustomerServiceError
from customer_service.workspace import Workspaces
from shared.audit_page import render_audit
from shared.auth import PermissionDenied
from shared.auth.streamlit_gate import gate
from shared.ui import render_sidebar

st.set_page_config(page_title="Support console", page_icon="💬", layout="wide")
identity = gate("bot.chat", title="Support console")


@st.cache_resource(show_spinner="Loading encoder…")
def _encoder(name: str):
    from shared.encoders import load_encoder

    return load_encoder(name)


@st.cache_resource(show_spinner="Opening workspaces…")
def _workspaces(url: str) -> Workspaces:
    from customer_service.store import Store

    return Workspaces(Store(url or None), encoder_loader=_encoder)


def _url() -> str:
    from customer_service.store import default_url

    return default_url()


ws = _workspaces(_url())
names = ws.names()
st.sidebar.title("Support console")
if not names:
    st.info("No workspaces yet. Run `verticals bot demo` or `verticals bot workspaces create NAME`.")
    st.stop()
workspace = st.sidebar.selectbox("Workspace", names, key="workspace")
# Knowledge base, analytics and the audit trail are supervisors' pages (bot.supervise).
pages = ["Chat"] + (["Knowledge base", "Analytics", "Audit"] if identity.can("bot.supervise") else [])
page = st.sidebar.radio("Page", pages, key="page")
settings = ws.settings(workspace)
if settings.attribution:
    st.sidebar.caption(settings.attribution)
render_sidebar(st, [settings.intent_model] if settings.intent_model else [])
wid = ws.get(workspace).id


def chat_page() -> None:
    bot = ws.bot(workspace)
    col_list, col_chat = st.columns([1, 3])
    with col_list:
        if st.button("New conversation", key="new_conv"):
            # Set the radio's own state before it is drawn, so the new conversation is selected.
            st.session_state["conv_pick"] = bot.start(actor=identity)
            st.rerun()
        convs = ws.store.conversations(wid)
        if not convs:
            st.caption("No conversations yet.")
            return
        ids = [c.id for c in convs]
        if st.session_state.get("conv_pick") not in ids:
            st.session_state["conv_pick"] = ids[0]
        labels = {c.id: conversation_label(c) for c in convs}
        current = st.radio("Conversations", ids, format_func=labels.get, key="conv_pick")
    with col_chat:
        view = conversation_view(ws.store, wid, current)
        st.subheader(f"Conversation #{view.id} · {view.status}")
        for m in view.messages:
            with st.chat_message("user" if m.role == "customer" else "assistant"):
                st.write(m.text)
                if m.author:
                    st.caption(f"sent by {m.author}")
        if view.pending is not None:
            p = view.pending
            with st.container(border=True):
                st.markdown("**Proposed reply**" + (" — hand over suggested" if p.route == "handoff" else ""))
                c1, c2, c3 = st.columns(3)
                c1.metric("Route", p.route)
                c2.metric("Intent", p.intent or "–")
                c3.metric("Confidence", f"{p.confidence:.2f}")
                if p.sources:
                    with st.expander(f"Sources ({len(p.sources)})"):
                        for s in p.sources:
                            st.markdown(f"**[{s['n']}] {s['label']}** · similarity {s['dense']:.2f}")
                            st.caption(s["text"][:600])
                text = st.text_area("Reply (edit before sending)", value=p.text, key=f"edit_{p.id}", height=140)
                b1, b2, b3, b4, b5 = st.columns(5)
                if b1.button("Send", key="send", type="primary"):
                    _act(lambda: bot.send(p.id, text, actor=identity))
                if b2.button("Hand over", key="hand_over"):
                    _act(lambda: bot.hand_over(view.id, actor=identity))
                if b3.button("Resolve", key="resolve"):
                    _act(lambda: bot.resolve(view.id, actor=identity))
                if b4.button("👍", key="up"):
                    _act(lambda: bot.rate(p.id, 1, actor=identity))
                if b5.button("👎", key="down"):
                    _act(lambda: bot.rate(p.id, -1, actor=identity))
        else:
            b1, b2 = st.columns(2)
            if view.status != "resolved" and b1.button("Resolve", key="resolve"):
                _act(lambda: bot.resolve(view.id, actor=identity))
            if view.status == "open" and b2.button("Hand over", key="hand_over"):
                _act(lambda: bot.hand_over(view.id, actor=identity))
        message = st.chat_input("Customer message", key="customer_msg")
        if message is not None:
            try:
                bot.propose(view.id, message, actor=identity)
            except CustomerServiceError as exc:
                st.error(str(exc))
            else:
                st.rerun()


def _act(action) -> None:
    try:
        action()
    except (CustomerServiceError, PermissionDenied) as exc:
        st.error(str(exc))
    else:
        st.rerun()


def knowledge_page() -> None:
    kb = ws.knowledge(workspace)
    st.subheader("Upload")
    files = st.file_uploader("FAQ (CSV/JSONL) or documents (md, txt, html, pdf)", accept_multiple_files=True,
                             key="upload")
    if files and st.button("Ingest", key="ingest", type="primary"):
        bar = st.progress(0.0, text="Ingesting…")
        results = ingest_uploads(kb, [(f.name, f.getvalue()) for f in files],
                                 progress=lambda frac, text: bar.progress(min(1.0, frac), text=text), actor=identity)
        for r in results:
            (st.success if r.ok else st.error)(r.message)
    docs = ws.store.documents(wid)
    st.subheader(f"Documents ({len(docs)}) · {len(kb.index)} passages indexed")
    if not docs:
        st.caption("The knowledge base is empty.")
        handoff_section()  # an intent-only workspace calibrates too
        return
    st.dataframe(pd.DataFrame([{"id": d.id, "name": d.name, "kind": d.kind, "chars": d.n_chars,
                                "updated": d.updated_at} for d in docs]), hide_index=True)
    choice = st.selectbox("Document", [d.id for d in docs], format_func={d.id: d.name for d in docs}.get, key="doc")
    chunks = ws.store.chunks(wid, choice)
    st.dataframe(pd.DataFrame([{"position": c.position, "start": c.start, "text": c.text[:300]} for c in chunks]),
                 hide_index=True)
    c1, c2 = st.columns(2)
    if c1.button("Delete document", key="delete_doc"):
        _act(lambda: kb.delete(choice, actor=identity))
    if c2.button("Re-index", key="reindex"):
        bar = st.progress(0.0, text="Re-indexing…")
        n = kb.reindex(progress=lambda frac, text: bar.progress(min(1.0, frac), text=text), actor=identity)
        st.success(f"Re-indexed {n} passages.")
    handoff_section()


def handoff_section() -> None:
    """Whether the thresholds were calibrated, on what, with which expected coverage and precision."""
    from customer_service.workspace_calibration import calibrate_workspace, calibration_status

    st.subheader("Handoff calibration")
    status = calibration_status(ws.settings(workspace))
    if status["calibrated"]:
        st.caption(f"Calibrated on this workspace's data{' at ' + status['at'] if status['at'] else ''}.")
    else:
        st.warning("Not calibrated: the handoff thresholds are defaults. Calibrate them on this workspace's data.")
    st.dataframe(pd.DataFrame(status["rows"]), hide_index=True)
    for what, why in status["skipped"].items():
        st.caption(f"{what}: not calibrated ({why})")
    oos = st.file_uploader("Out-of-scope questions (optional: text, one a line; without them 20% of the intents "
                           "and FAQ are held out)", type=["txt", "csv"], key="oos_upload")
    if st.button("Calibrate", key="calibrate", type="primary"):
        texts = None
        if oos is not None:
            texts = [t.strip() for t in oos.getvalue().decode("utf-8-sig").splitlines() if t.strip()]
        from shared.errors import VerticalsError

        try:
            with st.spinner("Calibrating on the workspace's dev data…"):
                result = calibrate_workspace(ws, workspace, texts, actor=identity)
        except VerticalsError as exc:  # nothing to calibrate on, a bad file, or not permitted
            st.error(str(exc))
        else:
            st.session_state["calibration_lines"] = result.lines()
            st.rerun()
    for line in st.session_state.pop("calibration_lines", []):
        st.success(line)


def analytics_page() -> None:
    frame = an.proposals_frame(ws.store, wid)
    if frame.empty:
        st.caption("No conversations yet.")
        return
    rates = an.route_rates(frame)
    lat = an.latency_summary(frame)
    cols = st.columns(5)
    cols[0].metric("By template", f"{rates['template']:.0%}")
    cols[1].metric("By retrieval", f"{rates['retrieval']:.0%}")
    cols[2].metric("Handed over", f"{rates['handoff']:.0%}")
    cols[3].metric("Latency p50", f"{lat['p50_ms']:.0f} ms")
    cols[4].metric("Latency p95", f"{lat['p95_ms']:.0f} ms")
    left, right = st.columns(2)
    left.markdown("**Top intents**")
    left.dataframe(an.top_intents(frame), hide_index=True)
    right.markdown("**Top unanswered questions**")
    right.dataframe(an.top_unanswered(frame), hide_index=True)
    st.markdown("**Agent actions**")
    st.json(an.agent_actions(frame))


def audit_page() -> None:
    render_audit(st, lambda **kw: ws.store.audit_trail(actor=identity, **kw), "bot")


{"Chat": chat_page, "Knowledge base": knowledge_page, "Analytics": analytics_page, "Audit": audit_page}[page]()
