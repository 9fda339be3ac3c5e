"""Grounded composition: extractive citations, and an OpenAI-compatible endpoint over real local HTTP."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest

from customer_service.compose import Composer, EndpointGenerator, build_prompt, extractive_answer
from customer_service.knowledge import Passage
from customer_service.settings import GenerationSettings


def _passages() -> list[Passage]:
    return [
        Passage(1, 1, "How long?\nTen weeks by law.", "faq", 0, 0.82, 3.0,
                {"question": "How long?", "answer": "Ten weeks by law.", "sources": ["PBL 9"]}),
        Passage(2, 2, "Opening hours are 8 to 17. Parking is free. Coffee is served all day.", "info.md", 3, 0.60, 1.0),
    ]


def test_extractive_answer_cites_the_top_passage():
    ans = extractive_answer("how long does it take", _passages())
    assert ans.text == "Ten weeks by law. [1]"
    assert ans.sources[0]["label"] == 'faq: "How long?" (PBL 9)'
    assert len(ans.sources) == 1  # the second passage is much less similar


def test_document_passage_keeps_the_best_sentences():
    p = _passages()[1]
    ans = extractive_answer("is parking free", [Passage(p.chunk_id, 1, p.text, p.document, p.position, 0.7, 1.0)])
    assert ans.text.startswith("Opening hours are 8 to 17. Parking is free.")
    assert ans.sources[0]["label"] == "info.md §4"


def test_prompt_holds_only_the_passages():
    msgs = build_prompt("How long?", _passages())
    assert "[1] Ten weeks by law." in msgs[1]["content"] and "[2] Opening hours" in msgs[1]["content"]
    assert "ONLY the numbered passages" in msgs[0]["content"]


class _Handler(BaseHTTPRequestHandler):
    requests: ClassVar[list[dict]] = []  # shared by the server's handler instances
    status = 200

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
        if type(self).status != 200:
            self.send_response(type(self).status)
            self.end_headers()
            return
        reply = {"choices": [{"message": {"role": "assistant", "content": "It takes ten weeks [1]."}}]}
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    _Handler.requests, _Handler.status = [], 200
    httpd = HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/v1"
    httpd.shutdown()
    httpd.server_close()


def test_endpoint_generation(server, monkeypatch):
    monkeypatch.setenv("CS_TEST_KEY", "secret")
    settings = GenerationSettings(mode="endpoint", endpoint_url=server, model="big-model", api_key_env="CS_TEST_KEY")
    ans = Composer(settings, EndpointGenerator()).compose("How long?", _passages())
    assert ans.generated and ans.text == "It takes ten weeks [1]."
    assert [s["n"] for s in ans.sources] == [1]
    req = _Handler.requests[0]
    assert req["path"] == "/v1/chat/completions" and req["auth"] == "Bearer secret"
    assert req["body"]["model"] == "big-model"
    assert "Ten weeks by law." in req["body"]["messages"][1]["content"]


def test_endpoint_failure_falls_back_to_extractive(server):
    _Handler.status = 500
    settings = GenerationSettings(mode="endpoint", endpoint_url=server)
    ans = Composer(settings, EndpointGenerator()).compose("How long?", _passages())
    assert not ans.generated and ans.text == "Ten weeks by law. [1]"
    assert "500" in ans.fallback_reason


def test_unreachable_endpoint_falls_back():
    settings = GenerationSettings(mode="endpoint", endpoint_url="http://127.0.0.1:9/v1", timeout_s=2)
    ans = Composer(settings, EndpointGenerator()).compose("How long?", _passages())
    assert not ans.generated and ans.fallback_reason
