"""The redaction policy at every boundary, end to end.

A whole scenario on one scratch VERTICALS_HOME: bot conversations with PII from customers and agents, the
prompt sent to an OpenAI-compatible endpoint, export-training-data, an encoder retrain on the export; a
monitor ingest of a feed with planted PII served by a real local HTTP server; recommender items with PII
trained and saved. Then EVERY file under the home (SQLite pages, WAL, CSV, Parquet decoded, JSON, zips
unpacked, logs) and every request body the server received is scanned: no planted value may appear.
"""

from __future__ import annotations

import json
import logging
import threading
import zipfile
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pandas as pd
import pytest
from typer.testing import CliRunner

EMAIL = "jane.planted@example.com"
CARD = "4111 1111 1111 1111"
PHONE = "+44 20 7946 0958"
IBAN = "GB82 WEST 1234 5698 7654 32"
PLANTED = [EMAIL, CARD, CARD.replace(" ", ""), PHONE, "7946 0958", IBAN, IBAN.replace(" ", "")]
PII = f"my email is {EMAIL}, card {CARD}, phone {PHONE}, IBAN {IBAN}"

FEED = f"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>
<item><title>Acme CFO reachable at {EMAIL}</title><link>http://news.test/a</link>
<description>Call {PHONE} about card {CARD} and IBAN {IBAN}.</description>
<pubDate>Fri, 01 Mar 2024 09:30:00 GMT</pubDate></item></channel></rss>"""

FAQ = [("How long does a building permit take?", "A building permit takes ten weeks."),
       ("Where do I pay the licence fee?", "Pay the licence fee at the town hall."),
       ("Can I renovate a listed building?", "Listed buildings need a heritage permit first.")]


class _Server(BaseHTTPRequestHandler):
    bodies: ClassVar[list[bytes]] = []

    def do_GET(self) -> None:
        self._send(FEED.encode(), "application/rss+xml")

    def do_POST(self) -> None:
        self.bodies.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        self._send(json.dumps({"choices": [{"message": {"content": "It takes ten weeks [1]."}}]}).encode(),
                   "application/json")

    def _send(self, body: bytes, kind: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server(monkeypatch):
    _Server.bodies = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Server)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    monkeypatch.setenv("VERTICALS_OUTBOUND_ALLOW", "127.0.0.1")
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _texts_of(path: Path) -> list[bytes]:
    """The bytes of a file as stored, plus decoded views of formats that compress or encode text."""
    raw = path.read_bytes()
    views = [raw]
    if path.suffix == ".parquet":
        views.append(pd.read_parquet(path).to_csv().encode())
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            views += [z.read(n) for n in z.namelist()]
    return views


def _leaks(home: Path, bodies: list[bytes]) -> list[str]:
    found = []
    for path in [p for p in home.rglob("*") if p.is_file()]:
        for view in _texts_of(path):
            found += [f"{path.relative_to(home)}: {v!r}" for v in PLANTED if v.encode() in view]
    for i, body in enumerate(bodies):
        found += [f"request body {i}: {v!r}" for v in PLANTED if v.encode() in body]
    return found


def test_no_planted_pii_reaches_disk_or_the_network(tmp_path, monkeypatch, server, encoder):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("VERTICALS_HOME", str(home))
    monkeypatch.delenv("VERTICALS_MONITOR_DB", raising=False)
    root = logging.getLogger()
    handler = logging.FileHandler(home / "verticals.log")
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    from shared.pii.policy import install_log_redaction

    install_log_redaction()
    try:
        _bot(home, server, encoder)
        _monitor(server)
        _recommender(tmp_path / "input")
        logging.getLogger("customer_service").warning("customer wrote: %s", PII)  # a log line with PII
    finally:
        root.removeHandler(handler)
        handler.close()
        root.setLevel(old_level)
    assert len(_Server.bodies) >= 1  # the endpoint was really asked
    assert (home / "verticals.log").read_text().count("customer wrote") == 1
    assert _leaks(home, _Server.bodies) == []


def _bot(home: Path, server: str, encoder) -> None:
    from customer_service.cli import app
    from customer_service.feedback import collect_training_data, retrain_encoder
    from customer_service.settings import GenerationSettings, HandoffSettings, WorkspaceSettings
    from customer_service.store import Store
    from customer_service.tuning import EncoderRecipe
    from customer_service.workspace import Workspaces

    db = f"sqlite:///{home / 'customer_service.db'}"
    ws = Workspaces(Store(db), encoder_loader=lambda name: encoder)
    ws.create("acme", WorkspaceSettings(handoff=HandoffSettings(retrieval_threshold=0.3),
                                        generation=GenerationSettings(mode="endpoint", endpoint_url=server + "/v1")))
    faq = pd.DataFrame({"question": [q for q, _ in FAQ], "answer": [a for _, a in FAQ]})
    ws.knowledge("acme").ingest_faq("faq.csv", faq)
    bot = ws.bot("acme")
    for i in range(12):  # enough corrected pairs for the encoder retrain
        conv = bot.start(now=datetime(2024, 3, 1, 9, i, tzinfo=timezone.utc))
        p = bot.propose(conv, f"{FAQ[i % 3][0]} {PII} (case {i})")
        bot.send(p.id, f"Dear customer ({PII}), {FAQ[i % 3][1]} Ref {i}.")  # an edited agent reply
        bot.reply(conv, f"Follow-up: we wrote to {EMAIL} and called {PHONE}.")
    res = CliRunner().invoke(app, ["export-training-data", "acme", "--db", db])
    assert res.exit_code == 0, res.output
    export = collect_training_data(ws.store, ws.get("acme").id)
    assert len(export.pairs) >= 10 and export.pairs["answer"].str.contains(r"\[CARD\]").all()
    report = retrain_encoder("minilm", export.pairs, [a for _, a in FAQ], name="acme-pii-encoder",
                             recipe=EncoderRecipe(epochs=1, batch_size=4))
    assert report.candidate.startswith("acme-pii-encoder@")


def _monitor(server: str) -> None:
    from finance_monitor import ingest
    from finance_monitor.store import ItemRow, Store

    store = Store()
    now = datetime(2024, 3, 1, 12, tzinfo=timezone.utc)
    ingest.add_source(store, "wire", "rss", server + "/feed.xml", now=now)
    assert ingest.fetch_source(store, "wire", now).added == 1
    with store.session() as s:
        item = s.query(ItemRow).one()
        assert "[EMAIL]" in item.title and "[PHONE]" in item.body
    store.dispose()


def _recommender(inputs: Path) -> None:
    from recommender.config import CandidateConfig, TextTrainConfig
    from recommender.data import load_dataset
    from recommender.demo import artifact_dir
    from recommender.pipeline import TrainSettings, train
    from tests.recommender.conftest import themed_interactions, themed_items

    inputs.mkdir()  # the user's own files, outside the home: not the suite's state, so not scanned
    items = themed_items()
    items.loc[0, "description"] = f"Signed copies: write to {EMAIL} or call {PHONE}."
    items.loc[1, "title"] = f"{items.loc[1, 'title']} {CARD}"
    items.to_csv(inputs / "items.csv", index=False)
    themed_interactions().to_csv(inputs / "events.csv", index=False)
    ds = load_dataset(inputs / "events.csv", inputs / "items.csv")
    rec = train(ds, TrainSettings(fractions=(0.6, 0.2, 0.2), ranker_windows=2,
                                  text=TextTrainConfig(max_pairs=0),
                                  candidates=CandidateConfig(text=20, cooccurrence=20, als=20, popularity=10)),
                progress=lambda s: None)
    rec.add_item("new-1", f"Fresh release, contact {EMAIL}", f"IBAN {IBAN}")
    rec.save(artifact_dir("pii"))
