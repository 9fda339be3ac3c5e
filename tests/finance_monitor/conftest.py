"""Fixtures: a real local HTTP server (feeds, webhooks), a temp SQLite store, real small models."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from shared.paths import PROJECT_ROOT

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Own state folder per test; downloaded wheels (Guardian, R8) are shared with the default home."""
    home = tmp_path / "home"
    (home / "cache").mkdir(parents=True)
    wheels = Path(os.environ.get("VERTICALS_WHEEL_CACHE", PROJECT_ROOT / "var" / "cache" / "wheels"))
    wheels.mkdir(parents=True, exist_ok=True)
    (home / "cache" / "wheels").symlink_to(wheels, target_is_directory=True)
    monkeypatch.setenv("VERTICALS_HOME", str(home))
    monkeypatch.delenv("VERTICALS_MONITOR_DB", raising=False)
    return home


@pytest.fixture
def store(tmp_path: Path):
    from finance_monitor.store import Store

    s = Store(f"sqlite:///{tmp_path / 'monitor.db'}")
    yield s
    s.dispose()


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    handler: Callable[[dict], tuple[int, bytes, dict[str, str]]] | None = None


@dataclass
class Server:
    url: str
    routes: dict[str, Route]
    requests: list[dict]

    def route(self, path: str, **kwargs) -> str:
        self.routes[path] = Route(**kwargs)
        return self.url + path

    def posts(self, path: str) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests if r["method"] == "POST" and r["path"] == path]


def _start_server() -> tuple[ThreadingHTTPServer, Server]:
    routes: dict[str, Route] = {}
    requests: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            req = {"method": method, "path": self.path, "headers": dict(self.headers),
                   "body": self.rfile.read(length) if length else b""}
            requests.append(req)
            route = routes.get(self.path.split("?")[0])
            if route is None:
                status, body, headers = 404, b"not found", {}
            elif route.handler is not None:
                status, body, headers = route.handler(req)
            else:
                status, body, headers = route.status, route.body, route.headers
            if route is not None and route.delay_s:
                time.sleep(route.delay_s)
            try:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def log_message(self, *args) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, Server(f"http://127.0.0.1:{httpd.server_address[1]}", routes, requests)


@pytest.fixture
def http_server() -> Iterator[Server]:
    httpd, server = _start_server()
    yield server
    httpd.shutdown()
    httpd.server_close()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def fpb():
    from shared.datasets import load_financial_phrasebank

    return load_financial_phrasebank()


@pytest.fixture(scope="session")
def tfidf_scorers(fpb):
    """Real (small, fast) classifiers for pipeline tests: TF-IDF + logistic regression on FPB."""
    from tests.finance_monitor.helpers import tfidf_scorers as build

    return build(fpb)


@pytest.fixture(scope="session")
def minilm_encoder():
    from shared.encoders import load_encoder

    return load_encoder()
