"""The fenced outbound client (shared/net.py) against real local HTTP servers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from shared.errors import OutboundBlockedError, OutboundLimitError
from shared.net import OutboundPolicy, default_policy, is_public_address, request

LOCAL = OutboundPolicy(allow=("127.0.0.1",), deadline_s=10)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    hits: list[str]

    def do_GET(self) -> None:
        self.hits.append(self.path)
        if self.path == "/ok":
            self._send(200, b"hello")
        elif self.path.startswith("/redirect?to="):
            self.send_response(302)
            self.send_header("Location", self.path.split("=", 1)[1])
            self.end_headers()
        elif self.path == "/big":
            self._send(200, b"x" * 5000)
        elif self.path == "/big-unannounced":  # no Content-Length: the cap must count what arrives
            self.send_response(200)
            self.end_headers()
            for _ in range(50):
                self.wfile.write(b"y" * 100)
        elif self.path == "/trickle":  # one byte every 0.4 s, for far longer than any deadline here
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                for _ in range(1000):
                    self.wfile.write(b"z")
                    self.wfile.flush()
                    time.sleep(0.4)
            except (BrokenPipeError, ConnectionResetError):
                pass
        else:
            self._send(404, b"no")

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    hits: list[str] = []
    handler = type("H", (_Handler,), {"hits": hits})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", hits
    httpd.shutdown()
    httpd.server_close()


def test_loopback_is_refused_unless_allow_listed(server):
    url, hits = server
    with pytest.raises(OutboundBlockedError, match="127.0.0.1.*outbound_allow"):
        request("GET", url + "/ok", policy=OutboundPolicy())
    assert hits == []  # refused before a connection was made
    assert request("GET", url + "/ok", policy=LOCAL).content == b"hello"
    assert hits == ["/ok"]


def test_allow_list_comes_from_the_settings(server, monkeypatch):
    url, _ = server
    monkeypatch.setenv("VERTICALS_OUTBOUND_ALLOW", "10.0.0.0/8, 127.0.0.0/8")
    assert request("GET", url + "/ok", policy=default_policy(deadline_s=5)).status_code == 200
    monkeypatch.setenv("VERTICALS_OUTBOUND_ALLOW", "")
    with pytest.raises(OutboundBlockedError):
        request("GET", url + "/ok", policy=default_policy(deadline_s=5))


def test_a_redirect_to_an_internal_address_is_refused(server):
    url, hits = server
    port = url.rsplit(":", 1)[1]
    policy = OutboundPolicy(allow=("localhost",), deadline_s=10)  # the first hop, by name only
    with pytest.raises(OutboundBlockedError, match="'127.0.0.1'"):
        request("GET", f"http://localhost:{port}/redirect?to=http://127.0.0.1:{port}/ok", policy=policy)
    assert "/ok" not in hits


def test_the_address_checked_is_the_address_connected_to(server, monkeypatch):
    """DNS rebinding: the first answer is public, a second lookup would say loopback. We look up once."""
    url, hits = server
    port = int(url.rsplit(":", 1)[1])
    answers = iter([[(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.0.2.10", port))]] +
                   [[(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]] * 5)
    calls: list[str] = []
    real = socket.getaddrinfo

    def rebinding(host, *args, **kwargs):
        if host[0].isdigit():  # a literal address resolves to itself, as in real life
            return real(host, *args, **kwargs)
        calls.append(host)
        return next(answers)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    monkeypatch.setattr("shared.net.is_public_address", lambda ip: str(ip) == "192.0.2.10")  # TEST-NET as public
    # the pinned TEST-NET address does not answer: the fetch fails there, never reaching the local server
    with pytest.raises((httpx.HTTPError, OutboundLimitError)):
        request("GET", f"http://rebind.test:{port}/ok", policy=OutboundPolicy(deadline_s=2))
    assert calls == ["rebind.test"] and hits == []


def test_size_cap_with_and_without_content_length(server):
    url, _ = server
    small = LOCAL.replace(max_bytes=1000)
    for path in ("/big", "/big-unannounced"):
        with pytest.raises(OutboundLimitError, match="larger than 1000 bytes"):
            request("GET", url + path, policy=small)
    assert len(request("GET", url + "/big", policy=LOCAL).content) == 5000


def test_a_trickling_server_is_cut_at_the_total_deadline(server):
    url, _ = server
    started = time.monotonic()
    with pytest.raises(OutboundLimitError, match="timed out.*2s deadline"):
        request("GET", url + "/trickle", policy=LOCAL.replace(deadline_s=2))
    assert time.monotonic() - started < 2 + 1.5  # each read waited at most for what was left


@pytest.mark.parametrize("address,public", [("8.8.8.8", True), ("127.0.0.1", False), ("10.1.2.3", False),
                                            ("192.168.1.1", False), ("169.254.169.254", False), ("::1", False),
                                            ("fd00:ec2::254", False), ("::ffff:127.0.0.1", False),
                                            ("100.100.100.200", False), ("2606:4700::1111", True)])
def test_public_addresses(address, public):
    import ipaddress

    assert is_public_address(ipaddress.ip_address(address)) is public


def test_only_http_urls(server):
    with pytest.raises(OutboundBlockedError, match="Only http"):
        request("GET", "file:///etc/passwd", policy=LOCAL)
