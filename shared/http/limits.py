"""Request-size limit (declared or streamed) and a per-client token-bucket rate limit.

The size limit is ASGI middleware so it holds before any route reads the body: a declared
`Content-Length` over the limit is refused at once, and a chunked body is counted as it streams and cut
off the moment it passes the limit. Rate limits are per process (each uvicorn worker keeps its own
buckets): a limit of N per minute is N per worker.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException

from shared.http.errors import RateLimited

Scope = dict[str, Any]


class BodyLimit:
    """Refuse request bodies over `max_bytes` with 413 in the one error shape."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_bytes
            except ValueError:
                too_big = False
            if too_big:
                await _refuse(send, self.max_bytes)
                return
        seen = 0
        started = False

        async def counting_receive() -> dict:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # an HTTPException passes through FastAPI's body parsing unchanged (others become 400)
                    raise HTTPException(413, f"request body is over the limit of {self.max_bytes} bytes; "
                                             "send less per request")
            return message

        async def tracking_send(message: dict) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except HTTPException as exc:
            if started or exc.status_code != 413:
                raise
            await _refuse(send, self.max_bytes)


async def _refuse(send: Callable, max_bytes: int) -> None:
    body = json.dumps({"error": {"code": "too_large",
                                 "message": f"request body is over the limit of {max_bytes} bytes; "
                                            "send less per request"}}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    """Token buckets by client key: `per_minute` requests per minute with bursts up to `burst`."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def check(self, client: str, per_minute: int, burst: int | None = None) -> None:
        """Take one token for `client` or raise `RateLimited` with the seconds to wait."""
        if per_minute <= 0:
            return  # 0 = unlimited
        capacity = float(burst or per_minute)
        rate = per_minute / 60.0
        now = self.clock()
        with self._lock:
            b = self._buckets.get(client)
            if b is None:
                b = self._buckets[client] = _Bucket(capacity, now)
            b.tokens = min(capacity, b.tokens + (now - b.stamp) * rate)
            b.stamp = now
            if b.tokens < 1.0:
                wait = max(1, int((1.0 - b.tokens) / rate + 0.999))
                raise RateLimited(f"{client} is over its limit of {per_minute} requests per minute; "
                                  f"retry in {wait} s", headers={"Retry-After": str(wait)})
            b.tokens -= 1.0
