"""What the security layer costs, each part side by side with its baseline in one run.

- fence: `shared.net.request` (DNS check at connect time, deadline-bounded reads, size cap, one client per
  fetch) against one reused plain `httpx.Client` on the same local HTTP server, N sequential GETs of 20 KB.
- redaction on feed ingest: `finance_monitor.ingest.ingest_items` with the default redaction policy against
  the same call with redaction off, on real Financial PhraseBank sentences as item titles and bodies.

    python bench/security.py --data-dir "$VERTICALS_DATA" [--requests 200] [--items 2000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BODY = b"<rss>" + b"x" * 20_000 + b"</rss>"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args: object) -> None:
        pass


def bench_fence(n: int) -> tuple[float, float]:
    import httpx

    from shared.net import OutboundPolicy, request

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/feed"
    policy = OutboundPolicy(allow=("127.0.0.1",), deadline_s=10)
    try:
        with httpx.Client(timeout=10, trust_env=False) as client:  # the kindest baseline: one client, reused
            client.get(url)
            t = time.perf_counter()
            for _ in range(n):
                assert len(client.get(url).content) == len(BODY)
            plain = (time.perf_counter() - t) / n
        t = time.perf_counter()
        for _ in range(n):
            assert len(request("GET", url, policy=policy).content) == len(BODY)
        fenced = (time.perf_counter() - t) / n
    finally:
        httpd.shutdown()
        httpd.server_close()
    return plain, fenced


def bench_redaction(data_dir: str | None, n: int) -> tuple[float, float]:
    from finance_monitor.ingest import ingest_items
    from finance_monitor.sources.base import RawItem
    from finance_monitor.store import Store
    from shared.datasets import load_financial_phrasebank
    from shared.pii.policy import RedactionPolicy

    frame = load_financial_phrasebank(data_dir) if data_dir else load_financial_phrasebank()
    texts = frame["text" if "text" in frame.columns else frame.columns[0]].astype(str).tolist()
    texts = (texts * (n // len(texts) + 1))[:n]
    now = datetime(2024, 3, 1, tzinfo=timezone.utc)
    out = []
    for policy in (RedactionPolicy(enabled=False), RedactionPolicy()):
        with tempfile.TemporaryDirectory() as tmp:
            store = Store(f"sqlite:///{tmp}/m.db")
            items = [RawItem(title=f"{t[:60]} #{i}", body=t, url=f"http://news.test/{i}") for i, t in enumerate(texts)]
            t = time.perf_counter()
            ingest_items(store, None, items, now, redaction=policy)
            out.append((time.perf_counter() - t) / n)
            store.dispose()
    return out[0], out[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--items", type=int, default=2000)
    args = ap.parse_args()
    plain, fenced = bench_fence(args.requests)
    print(f"fence: plain reused httpx.Client {plain * 1000:.2f} ms/request, fenced {fenced * 1000:.2f} ms/request, "
          f"ratio {fenced / plain:.2f}x ({args.requests} GETs of {len(BODY)} bytes)")
    off, on = bench_redaction(args.data_dir, args.items)
    print(f"feed ingest: redaction off {off * 1000:.3f} ms/item, on {on * 1000:.3f} ms/item, ratio {on / off:.2f}x "
          f"({args.items} FPB items)")


if __name__ == "__main__":
    main()
