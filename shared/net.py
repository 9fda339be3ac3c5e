"""The one outbound HTTP client: feeds, webhooks and the generation endpoint all fetch through `request`.

The fence is checked where the socket is opened, not on the URL: every connection (the first and each
redirect) resolves the host, refuses it when any address is loopback, private, link-local, multicast,
reserved or a cloud metadata address, and then connects to the very address it checked, so a DNS answer
that changes between check and use (rebinding) cannot slip through. `OutboundPolicy.allow` (settings
`outbound_allow`, env `VERTICALS_OUTBOUND_ALLOW`) lists hosts, IPs or CIDRs that are reachable anyway.

Each request has a total deadline (every socket read and write is bounded by what is left of it, so a
server trickling a byte every few seconds is cut on time) and a body size cap. Proxies from the
environment are not used: they would move the real destination out of the fence's sight.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import httpcore
import httpx

from shared.errors import ConfigError, OutboundBlockedError, OutboundLimitError

__all__ = ["OutboundPolicy", "Response", "default_policy", "is_public_address", "redact_url", "request"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
METADATA_ADDRESSES = {ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")}


def redact_url(url: str) -> str:
    """A URL fit for logs, errors and screens: scheme, host and first path segment only. Webhook URLs carry
    their token in the path (hooks.slack.com/services/T../B../secret), others in the query or user info."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<unparseable URL>"
    if not parts.scheme or not host:
        return "<URL>" if url else ""
    segments = [p for p in parts.path.split("/") if p]
    path = f"/{segments[0]}" if segments else ""
    hidden = len(segments) > 1 or parts.query or parts.username or parts.password or parts.fragment
    return f"{parts.scheme}://{host}{port}{path}{'/***' if hidden else ''}"


def is_public_address(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast and ip not in METADATA_ADDRESSES


@dataclass(frozen=True)
class OutboundPolicy:
    allow: tuple[str, ...] = field(default=(), metadata={
        "help": "Hosts, IPs or CIDRs reachable although not public (e.g. '127.0.0.1', '10.0.0.0/8')."})
    deadline_s: float = field(default=30.0, metadata={"help": "Total seconds for one request, body included."})
    max_bytes: int = field(default=10 * 2**20, metadata={"help": "Largest response body accepted."})
    max_redirects: int = field(default=5, metadata={"help": "Redirects followed (each one is fenced too)."})

    def __post_init__(self) -> None:
        if not self.deadline_s > 0:
            raise ConfigError(f"outbound deadline_s must be > 0, got {self.deadline_s!r}")
        if self.max_bytes < 1:
            raise ConfigError(f"outbound max_bytes must be >= 1, got {self.max_bytes!r}")
        for entry in self.allow:
            if "/" in entry:
                try:
                    ipaddress.ip_network(entry, strict=False)
                except ValueError as exc:
                    raise ConfigError(f"outbound_allow entry {entry!r} is not a valid CIDR: {exc}") from None

    def allows(self, host: str, ip: IPAddress) -> bool:
        if is_public_address(ip):
            return True
        for entry in self.allow:
            entry = entry.strip().lower()
            if not entry:
                continue
            if entry == host.lower().rstrip("."):
                return True
            try:
                if ip in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                continue  # a host name that did not match
        return False

    def replace(self, **changes: Any) -> OutboundPolicy:
        return OutboundPolicy(**{**self.__dict__, **changes})


def default_policy(**overrides: Any) -> OutboundPolicy:
    """The policy from the suite settings (`outbound_allow`), read now so a changed variable takes effect."""
    from shared.settings import Settings

    allow = tuple(a.strip() for a in Settings().outbound_allow.split(",") if a.strip())
    return OutboundPolicy(allow=allow).replace(**overrides)


@dataclass(frozen=True)
class Response:
    status_code: int
    headers: httpx.Headers
    content: bytes
    url: str

    def json(self) -> Any:
        import json

        return json.loads(self.content)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every read and write waits at most for what is left of the deadline."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: float) -> None:
        self._inner, self._deadline = inner, deadline

    def _timeout(self, timeout: float | None) -> float:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise httpcore.ReadTimeout("the request's total deadline has passed")
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._timeout(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._timeout(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, self._timeout(timeout)),
                               self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _FencedBackend(httpcore.NetworkBackend):
    def __init__(self, policy: OutboundPolicy, deadline: float) -> None:
        self.policy, self.deadline = policy, deadline
        self._inner = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise httpcore.ConnectError(f"cannot resolve {host!r}: {exc}") from exc
        addresses = list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos))
        refused = [str(ip) for ip in addresses if not self.policy.allows(host, ip)]
        if refused:  # one private answer among public ones is refused too: the resolver chooses, not us
            raise OutboundBlockedError(
                f"Refused to connect to {host!r} ({', '.join(refused)}): loopback, private, link-local and "
                f"metadata addresses are not reachable. If this destination is trusted, add it to "
                f"outbound_allow (VERTICALS_OUTBOUND_ALLOW).")
        stream = self._connect_any(addresses, port, timeout, local_address, socket_options)
        return _DeadlineStream(stream, self.deadline)

    def _connect_any(self, addresses: list[IPAddress], port: int, timeout: float | None,
                     local_address: str | None, socket_options: Iterable[Any] | None) -> httpcore.NetworkStream:
        last: Exception | None = None
        for ip in addresses:  # connect to the address that was checked, never re-resolve
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise httpcore.ConnectTimeout("the request's total deadline has passed")
            try:
                return self._inner.connect_tcp(str(ip), port, left if timeout is None else min(timeout, left),
                                               local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        raise last or httpcore.ConnectError("no address to connect to")

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        raise OutboundBlockedError("Unix sockets are not reachable through the outbound client.")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@lru_cache(maxsize=1)
def _ssl_context() -> Any:
    return httpx.create_ssl_context()  # loading the CA bundle costs tens of ms: once per process


def _client(policy: OutboundPolicy, deadline: float) -> httpx.Client:
    transport = httpx.HTTPTransport(verify=_ssl_context())  # no second CA bundle load for its own pool
    transport._pool = httpcore.ConnectionPool(  # the same pool httpx builds, with the fenced backend
        ssl_context=_ssl_context(), network_backend=_FencedBackend(policy, deadline))
    return httpx.Client(transport=transport, follow_redirects=True, max_redirects=policy.max_redirects,
                        trust_env=False, timeout=policy.deadline_s)


def request(method: str, url: str, *, policy: OutboundPolicy | None = None,
            headers: Mapping[str, str] | None = None, json: Any = None, content: bytes | None = None) -> Response:
    """One fenced request, the body read whole (up to the cap). Raises `OutboundBlockedError`,
    `OutboundLimitError` (size or deadline) or httpx's own errors for unreachable servers and bad URLs."""
    policy = policy or default_policy()
    scheme = httpx.URL(url).scheme
    if scheme not in ("http", "https"):
        raise OutboundBlockedError(f"Only http(s) URLs are fetched, got {url!r}.")
    deadline = time.monotonic() + policy.deadline_s
    with _client(policy, deadline) as client:
        try:
            with client.stream(method, url, headers=dict(headers or {}), json=json, content=content) as resp:
                declared = resp.headers.get("Content-Length")
                if declared and declared.isdigit() and int(declared) > policy.max_bytes:
                    raise _too_large(url, policy)
                body = bytearray()
                for chunk in resp.iter_raw():
                    body += chunk
                    if len(body) > policy.max_bytes:
                        raise _too_large(url, policy)
                if resp.headers.get("Content-Encoding", "identity") not in ("identity", ""):
                    body = bytearray(_decode(resp, bytes(body), policy, url))
                return Response(resp.status_code, resp.headers, bytes(body), str(resp.url))
        except httpx.TimeoutException as exc:
            if time.monotonic() >= deadline - 0.05:
                raise OutboundLimitError(f"timed out: the fetch took longer than its {policy.deadline_s:g}s "
                                         f"deadline and was cut off.") from exc
            raise


def _too_large(url: str, policy: OutboundPolicy) -> OutboundLimitError:
    return OutboundLimitError(f"the response is larger than {policy.max_bytes} bytes (the size cap): not read "
                              f"further.")


def _decode(resp: httpx.Response, raw: bytes, policy: OutboundPolicy, url: str) -> bytes:
    """Decompress a gzip/deflate/br body with the cap applied to the decompressed size (no zip bombs)."""
    decoder = resp._get_content_decoder()
    out = bytearray()
    for start in range(0, len(raw) + 1, 2**16):  # small steps: the check runs before memory fills up
        out += decoder.decode(raw[start:start + 2**16]) if start < len(raw) else decoder.flush()
        if len(out) > policy.max_bytes:
            raise _too_large(url, policy)
    return bytes(out)
