"""The API over real stores: the bot's SQLite file with the real FAQ subset and real MiniLM, the suite
database for keys, and FastAPI's TestClient (the same ASGI app uvicorn serves)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shared.settings import ApiSettings
from tests.customer_service.conftest import (  # noqa: F401  (fixtures)
    MemoEncoder,
    encoder,
    faq,
    full_faq,
    session_home,
)

# one trained themed recommender for every test here (a session fixture imported once)
from tests.recommender.conftest import _trained, recommender, themed_dataset  # noqa: F401  (fixtures)

ALL_SCOPES = "bot.channel,bot.agent,recs,models,monitor.read,monitor.write"


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("VERTICALS_HOME", str(home))
    monkeypatch.delenv("VERTICALS_SUITE_DB", raising=False)
    return home


@pytest.fixture
def keys(tmp_path: Path):
    from shared.http.keys import KeyStore

    store = KeyStore(f"sqlite:///{tmp_path / 'suite.db'}")
    yield store
    store.dispose()


@pytest.fixture
def faq_workspace(encoder, faq, tmp_path: Path):  # noqa: F811  (fixture arguments)
    from customer_service.store import Store
    from customer_service.workspace import Workspaces

    ws = Workspaces(Store(f"sqlite:///{tmp_path / 'bot.db'}"), encoder_loader=lambda name: encoder)
    ws.create("construction")
    ws.knowledge("construction").ingest_faq("faq.jsonl", faq)
    return ws


def make_client(keys, apis, overrides, **settings) -> TestClient:
    from shared.http import create_app

    app = create_app(apis, settings=ApiSettings(**settings), keys=keys, overrides=overrides, warm=False)
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def bot_client(keys, faq_workspace):
    from customer_service.api import get_workspaces

    with make_client(keys, [("bot", "customer_service.api:router")], {get_workspaces: lambda: faq_workspace},
                     sse_interval_s=0.05) as client:
        yield client


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The one error shape, with the expected status (and code)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]


# `pg_url` (a fresh PostgreSQL database, skipped with the reason without a server, failing under CI) comes
# from tests/conftest.py.


@pytest.fixture
def pg_empty_urls(pg_server):
    """Two new, empty PostgreSQL databases (an app's store and the suite database, as deployed: apart);
    each store creates its own tables at head on first open. Dropped afterwards."""
    from tests.db_backends import require_postgres

    require_postgres(pg_server)
    names = [pg_server.create(), pg_server.create()]
    try:
        yield [pg_server.url(n) for n in names]
    finally:
        for n in names:
            pg_server.drop(n)
