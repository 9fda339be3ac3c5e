"""Every file loader, fed hostile files: the outcome is loaded data or ONE clear error (a subclass of
`shared.errors.VerticalsError`) — never another exception, and (where the loader writes) nothing half-written."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import example, given
from hypothesis import strategies as st

from shared.errors import VerticalsError
from tests.hardening.strategies import FUZZ, FUZZ_STORE, csv_bytes, file_bytes, jsonl_bytes

TABLE_SUFFIXES = [".csv", ".tsv", ".jsonl", ".json", ".parquet"]


def suffixed(suffixes: list[str]):
    return st.sampled_from(suffixes).flatmap(lambda s: st.tuples(st.just(s), file_bytes(s)))


def write(folder: str, name: str, data: bytes) -> Path:
    path = Path(folder) / name
    path.write_bytes(data)
    return path


# ---- core: labelled training data -------------------------------------------------------------------------

MIXED_JSONL = b"{}\nnull"          # found by hypothesis: a record line then a non-record line (TypeError)
DEEP_JSON = b"[" * 50_000          # nesting past Python's recursion limit (RecursionError)


@FUZZ
@given(suffixed(TABLE_SUFFIXES))
@example((".jsonl", MIXED_JSONL))
@example((".jsonl", b"[]\nnull"))
@example((".jsonl", DEEP_JSON))
def test_core_read_table_and_clean_rows(case) -> None:
    from shared.data.tables import clean_text_rows, read_table

    suffix, data = case
    with tempfile.TemporaryDirectory() as tmp:
        try:
            df = read_table(write(tmp, "train" + suffix, data))
        except VerticalsError:
            return
    assert isinstance(df, pd.DataFrame) and not df.empty
    try:
        clean, report = clean_text_rows(df, ["text"], "label")
    except VerticalsError:
        return
    assert report.rows_kept == len(clean) > 0
    assert clean["text"].str.strip().ne("").all() and clean["label"].map(type).eq(str).all()


# ---- customer service: FAQ tables and documents -----------------------------------------------------------

@FUZZ
@given(suffixed([".csv", ".jsonl", ".json", ".md", ".txt", ".html", ".htm", ".pdf", ".docx", ""]))
@example((".jsonl", MIXED_JSONL))
@example((".jsonl", DEEP_JSON))
@example((".json", DEEP_JSON))
def test_bot_parse_file(case) -> None:
    from customer_service.ingest import parse_file

    suffix, data = case
    try:
        parsed = parse_file("upload" + suffix, data)
    except VerticalsError:
        return
    assert parsed.chunks and all(c.text.strip() for c in parsed.chunks)


# ---- recommender: interactions and items -----------------------------------------------------------------

GOOD_ITEMS = b"item_id,title,tags\ni1,Space opera,sci-fi|space\ni2,Pasta night,food\n"
GOOD_INTERACTIONS = b"user_id,item_id,event,timestamp\nu1,i1,view,1700000000\nu1,i2,purchase,1700000100\n"


@FUZZ
@given(suffixed([".csv", ".tsv", ".jsonl", ".json", ".parquet"]), st.booleans())
@example((".jsonl", MIXED_JSONL), False)
@example((".jsonl", MIXED_JSONL), True)
@example((".json", DEEP_JSON), True)
def test_recommender_load_dataset(case, fuzz_items: bool) -> None:
    from recommender.data import load_dataset

    suffix, data = case
    with tempfile.TemporaryDirectory() as tmp:
        items = write(tmp, "items" + (suffix if fuzz_items else ".csv"), data if fuzz_items else GOOD_ITEMS)
        inter = write(tmp, "events" + (".csv" if fuzz_items else suffix), GOOD_INTERACTIONS if fuzz_items else data)
        try:
            ds = load_dataset(inter, items)
        except VerticalsError:
            return
    assert len(ds.interactions) == ds.report.n_clean > 0
    assert set(ds.interactions["item_id"]) <= set(ds.items["item_id"])
    assert ds.interactions["timestamp"].dtype == "int64"


# ---- finance monitor: news-item files in a watched folder --------------------------------------------------

@FUZZ
@given(suffixed([".jsonl", ".csv"]))
@example((".jsonl", MIXED_JSONL))
@example((".jsonl", DEEP_JSON))
def test_monitor_read_frame(case) -> None:
    from finance_monitor.sources.files import frame_to_items, read_frame

    suffix, data = case
    with tempfile.TemporaryDirectory() as tmp:
        try:
            items = frame_to_items(read_frame(write(tmp, "news" + suffix, data)))
        except VerticalsError:
            return
    for item in items:
        assert isinstance(item.title, str) and (item.title or item.body)
        assert item.published_at is None or item.published_at.tzinfo is not None


@FUZZ
@given(st.one_of(jsonl_bytes(), csv_bytes()), st.sampled_from([".jsonl", ".csv"]))
def test_monitor_folder_source_writes_a_file_whole_or_not_at_all(store, data: bytes, suffix: str) -> None:
    """A fetch of a watched folder holding one hostile file: either all its items are stored, or the file
    is reported as a problem and the store's item count is unchanged."""
    from datetime import datetime, timezone

    from sqlalchemy import func, select

    from finance_monitor import ingest
    from finance_monitor.sources.files import frame_to_items, read_frame
    from finance_monitor.store import ItemRow

    now = datetime(2024, 3, 1, tzinfo=timezone.utc)
    with tempfile.TemporaryDirectory() as tmp:
        path = write(tmp, "drop" + suffix, data)
        try:
            expected = len({(i.title, i.body) for i in frame_to_items(read_frame(path))})
        except VerticalsError:
            expected = None
        name = f"folder-{abs(hash(tmp))}"
        ingest.add_source(store, name, "folder", tmp, now=now)
        with store.session() as s:
            before = s.scalar(select(func.count(ItemRow.id)))
        report = ingest.fetch_source(store, name, now)
        with store.session() as s:
            after = s.scalar(select(func.count(ItemRow.id)))
        ingest.remove_source(store, name)
    if expected is None:
        assert report.problems and after == before
    else:
        assert not report.problems and report.fetched >= expected and before <= after <= before + report.fetched


# ---- customer service: ingestion into a real store and index, and the chat input ---------------------------

def bot_counts(ws) -> tuple[int, int, int]:
    wid = ws.get("fuzz").id
    return len(ws.store.documents(wid)), ws.store.count_chunks(wid), ws.store.kb_version(wid)


@FUZZ_STORE
@given(suffixed([".csv", ".jsonl", ".json", ".md", ".txt", ".html", ".pdf"]).map(lambda c: (c[0], c[1][:8000])))
def test_bot_ingest_is_whole_or_nothing(bot_workspaces, case) -> None:
    suffix, data = case
    kb = bot_workspaces.knowledge("fuzz")
    before = bot_counts(bot_workspaces)
    index_before = len(kb.index)
    name = f"upload-{before[2]}{suffix}"
    try:
        report = kb.ingest_bytes(name, data)
    except VerticalsError:
        assert bot_counts(bot_workspaces) == before and len(kb.index) == index_before
        return
    docs, chunks, version = bot_counts(bot_workspaces)
    assert (docs, chunks, version) == (before[0] + 1, before[1] + report.n_chunks, before[2] + 1)
    assert len(kb.index) == index_before + report.n_chunks


MESSAGES = st.one_of(st.text(max_size=300), st.text(max_size=5000), st.sampled_from(
    ["", "   ", "\x00", "\u202e\u0000", "😀" * 3000, "a" * 4001, "Call me on +44 20 7946 0958 or a@b.co",
     "IBAN GB33BUKB20201555555555 card 4111 1111 1111 1111", "<script>alert(1)</script>", "\r\n\t"]))


@FUZZ_STORE
@given(MESSAGES)
def test_bot_chat_input(bot_workspaces, message: str) -> None:
    """Any chat message gets a proposal or ONE clear error; a refused message leaves no trace."""
    bot = bot_workspaces.bot("fuzz")
    conv = bot.start()
    try:
        proposal = bot.propose(conv, message)
    except VerticalsError:
        assert bot_workspaces.store.messages(conv) == []
        assert bot_workspaces.store.proposals(conversation_id=conv) == []
        return
    assert proposal.route in ("template", "retrieval", "handoff")
    assert [m.role for m in bot_workspaces.store.messages(conv)] == ["customer"]
