"""`verticals up` plans the API beside the consoles; the uvicorn factory builds the app from settings."""

from __future__ import annotations

import sys

from shared.apps import Registered


def test_up_plans_the_api_with_its_health_url():
    from shared.cli.suite import plan

    (api,) = plan("127.0.0.1", {}, scheduler=False, registered=Registered((), ()), api_port=8599)
    assert api.name == "api" and api.error is None
    assert api.argv == [sys.executable, "-m", "shared.cli.main", "serve", "--host", "127.0.0.1", "--port", "8599"]
    assert api.health_url == "http://127.0.0.1:8599/healthz" and api.url == "http://127.0.0.1:8599"
    assert plan("127.0.0.1", {}, scheduler=False, registered=Registered((), ())) == []


def test_the_factory_serves_every_registered_apps_routes(monkeypatch, tmp_path):
    from fastapi.testclient import TestClient

    from shared.http.server import build

    monkeypatch.setenv("VERTICALS_API__MAX_BODY_BYTES", "4096")
    from shared.settings import get_settings

    get_settings.cache_clear()
    try:
        app = build()
    finally:
        get_settings.cache_clear()
    paths = set(app.openapi()["paths"])
    assert {"/v1/bot/{workspace}/conversations", "/v1/recs/recommendations", "/v1/monitor/alerts",
            "/v1/models/{name}/predict", "/healthz", "/readyz", "/metrics"} <= paths
    assert app.state.api.settings.max_body_bytes == 4096 and app.state.api.failures == {}
    with TestClient(app) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
