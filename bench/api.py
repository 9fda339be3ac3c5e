"""HTTP API load test: the bot channel (no generation) and recommendations at 1, 8 and 20 concurrent clients,
from this process against `verticals serve` running as a second process on 127.0.0.1; the in-process
service call is timed in the same run as the baseline.

    nice python bench/api.py [--home var/bench-api] [--workers 1,2] [--clients 1,8,20]
        [--requests 400] [--seconds 60] [--out var/bench-api/results.json]

- bot: each client opens its own conversation (not timed) and posts the construction FAQ's questions
  (503 pairs in the knowledge base, generation off): one timed POST per message, the bot answering.
- recs: POST /v1/recs/recommendations for a random known user (MovieLens-100k, text model not fine-tuned,
  default configuration, top 10 with reasons).
- Each level is bounded in count (--requests per level) and time (--seconds per level).
- Baseline: `customer_service.channel.post` / `Recommender.recommend` called in this process, one at a time.

The first run prepares --home (bot workspace + recommender artifact, a few minutes); later runs reuse it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

WORKSPACE = "construction"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(latencies_s: list[float], errors: int, wall_s: float) -> dict[str, float]:
    ms = [x * 1000 for x in latencies_s]
    return {"n": len(ms), "errors": errors, "throughput": len(ms) / wall_s if wall_s else 0.0,
            "p50": percentile(ms, 0.5), "p95": percentile(ms, 0.95), "p99": percentile(ms, 0.99),
            "mean": statistics.fmean(ms) if ms else float("nan")}


# ---- preparation ------------------------------------------------------------------------------------
def prepare(home: Path) -> None:
    os.environ["VERTICALS_HOME"] = str(home)
    from customer_service.store import Store
    from customer_service.workspace import Workspaces
    from recommender.demo import artifact_dir
    from recommender.errors import ModelNotTrainedError
    from shared.datasets.construction_faq import load_construction_faq

    home.mkdir(parents=True, exist_ok=True)
    ws = Workspaces(Store(f"sqlite:///{home / 'customer_service.db'}"))
    if WORKSPACE not in ws.names():
        log("bot: indexing the construction FAQ (503 pairs) with MiniLM")
        ws.create(WORKSPACE)
        ws.knowledge(WORKSPACE).ingest_faq("construction-faq", load_construction_faq("en"))
    ws.store.engine.dispose()
    try:
        _recommender(home)
    except ModelNotTrainedError:
        from recommender.config import TextTrainConfig
        from recommender.data import movielens_dataset
        from recommender.pipeline import TrainSettings, train

        log("recs: training on MovieLens-100k (text model not fine-tuned)")
        rec = train(movielens_dataset(), TrainSettings(text=TextTrainConfig(max_pairs=0)), progress=log)
        rec.save(artifact_dir())


def questions() -> list[str]:
    from shared.datasets.construction_faq import load_construction_faq

    return load_construction_faq("en")["question"].astype(str).tolist()


# ---- the server -------------------------------------------------------------------------------------
def start_server(home: Path, port: int, workers: int, threads: int | None = None) -> tuple[subprocess.Popen, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERTICALS_") or k == "VERTICALS_DATA"}
    env.update(VERTICALS_HOME=str(home), VERTICALS_API__ANONYMOUS_RATE_PER_MINUTE="0",
               VERTICALS_CONFIG=str(home / "none.toml"))
    if threads:
        env["VERTICALS_API__REQUEST_THREADS"] = str(threads)
    with open(home / f"server-{workers}.log", "ab") as log_file:  # the child keeps its own descriptor
        proc = subprocess.Popen([sys.executable, "-m", "shared.cli.main", "serve", "--port", str(port), "--workers",
                                 str(workers), "--log-level", "warning"], cwd=ROOT, env=env, stdout=log_file,
                                stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited; see {home / f'server-{workers}.log'}")
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=5) as resp:
                if resp.status == 200:
                    return proc, url
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError("server not ready in 600 s")


def stop_server(proc: subprocess.Popen) -> None:
    import signal

    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


# ---- load -------------------------------------------------------------------------------------------
def run_level(url: str, scenario: str, clients: int, total: int, seconds: float, qs: list[str], users: list[str],
              key: str) -> dict[str, float]:
    """Closed-loop clients, one keep-alive connection each. The client is the standard library's
    `http.client` (about a third of httpx's CPU per request): client and server share the 2 cores, so a
    heavy load generator would be measured as server latency."""
    import http.client
    from urllib.parse import urlsplit

    host, port = urlsplit(url).hostname or "127.0.0.1", urlsplit(url).port or 80
    per_client = max(1, total // clients)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def call(conn: http.client.HTTPConnection, path: str, body: dict, headers: dict[str, str]) -> tuple[int, bytes]:
        conn.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json", **headers})
        resp = conn.getresponse()
        return resp.status, resp.read()

    def client(idx: int) -> None:
        rng = random.Random(idx)
        conn = http.client.HTTPConnection(host, port, timeout=30.0)
        try:
            headers: dict[str, str] = {"X-API-Key": key}
            path = "/v1/recs/recommendations"
            if scenario == "bot":
                _, raw = call(conn, f"/v1/bot/{WORKSPACE}/conversations", {}, {})
                opened = json.loads(raw)
                headers = {"X-Conversation-Token": opened["token"]}
                path = f"/v1/bot/{WORKSPACE}/conversations/{opened['conversation_id']}/messages"
            start.wait()
            for _ in range(per_client):
                if time.perf_counter() > stop_at[0]:
                    break
                body = {"text": rng.choice(qs)} if scenario == "bot" else {"user_id": rng.choice(users), "n": 10}
                t0 = time.perf_counter()
                try:
                    ok = call(conn, path, body, headers)[0] == 200
                except (OSError, http.client.HTTPException):
                    ok = False
                    conn.close()
                    conn = http.client.HTTPConnection(host, port, timeout=30.0)
                dt = time.perf_counter() - t0
                with lock:
                    if ok:
                        latencies.append(dt)
                    else:
                        errors[0] += 1
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    stop_at[0] = time.perf_counter() + seconds + 600  # set properly once every client is connected
    start.wait()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    for t in threads:
        t.join()
    return summary(latencies, errors[0], time.perf_counter() - began)


def baseline(home: Path, scenario: str, n: int, qs: list[str], users: list[str]) -> dict[str, float]:
    """The same work as one request, called in this process, one at a time."""
    rng = random.Random(0)
    latencies = []
    if scenario == "bot":
        from customer_service import channel
        from customer_service.store import Store
        from customer_service.workspace import Workspaces

        ws = Workspaces(Store(f"sqlite:///{home / 'customer_service.db'}"))
        cid = channel.open_conversation(ws, WORKSPACE)
        channel.post(ws, WORKSPACE, cid, qs[0])  # warm: encoder and index loaded
        for _ in range(n):
            t0 = time.perf_counter()
            channel.post(ws, WORKSPACE, cid, rng.choice(qs))
            latencies.append(time.perf_counter() - t0)
    else:
        rec = _recommender(home)
        from recommender.config import RecConfig

        rec.recommend(users[0])
        for _ in range(n):
            t0 = time.perf_counter()
            rec.recommend(rng.choice(users), config=RecConfig(n=10))
            latencies.append(time.perf_counter() - t0)
    return summary(latencies, 0, sum(latencies))


def _recommender(home: Path):
    from recommender.demo import artifact_dir
    from recommender.service import Recommender

    return Recommender.load(artifact_dir())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--home", type=Path, default=ROOT / "var" / "bench-api")
    p.add_argument("--workers", default="1,2", help="uvicorn worker counts to try")
    p.add_argument("--clients", default="1,8,20")
    p.add_argument("--threads", type=int, default=0, help="request threads per worker (0: the settings' default)")
    p.add_argument("--scenarios", default="bot,recs")
    p.add_argument("--requests", type=int, default=400, help="requests per level (at most)")
    p.add_argument("--seconds", type=float, default=60.0, help="seconds per level (at most)")
    p.add_argument("--baseline", type=int, default=100, help="in-process calls per scenario")
    p.add_argument("--port", type=int, default=0, help="0 = a free port")
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args()
    home = args.home.resolve()
    prepare(home)
    qs = questions()
    users = _recommender(home).users()
    scenarios = args.scenarios.split(",")
    results: dict[str, object] = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                                  "load_avg_start": os.getloadavg(), "levels": [], "baseline": {}}
    for scenario in scenarios:
        log(f"baseline {scenario}: {args.baseline} in-process calls")
        results["baseline"][scenario] = baseline(home, scenario, args.baseline, qs, users)  # type: ignore[index]
    os.environ["VERTICALS_HOME"] = str(home)
    from shared.http.keys import KeyStore

    keys = KeyStore()
    name = f"bench-{int(time.time())}"
    key = keys.create(name, "recs", rate_per_minute=0)
    try:
        for workers in [int(w) for w in args.workers.split(",")]:
            port = args.port or _free_port()
            log(f"starting the API with {workers} worker(s) on port {port}")
            proc, url = start_server(home, port, workers, args.threads or None)
            try:
                for scenario in scenarios:
                    run_level(url, scenario, 2, 20, 30, qs, users, key)  # warm every worker
                    for clients in [int(c) for c in args.clients.split(",")]:
                        r = run_level(url, scenario, clients, args.requests, args.seconds, qs, users, key)
                        r.update(workers=workers, scenario=scenario, clients=clients, threads=args.threads or None)
                        results["levels"].append(r)  # type: ignore[union-attr]
                        log(f"{scenario:5} workers={workers} clients={clients:>2}: {r['throughput']:.1f} req/s, "
                            f"p50 {r['p50']:.0f} ms, p95 {r['p95']:.0f} ms, p99 {r['p99']:.0f} ms, "
                            f"errors {r['errors']}")
            finally:
                stop_server(proc)
    finally:
        keys.revoke(name)
    results["load_avg_end"] = os.getloadavg()
    print_table(results)
    out = args.out or home / "results.json"
    out.write_text(json.dumps(results, indent=2))
    log(f"results in {out}")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def print_table(results: dict) -> None:
    base = results["baseline"]
    print("\n| scenario | workers | clients | req/s | p50 ms | p95 ms | p99 ms | errors | in-process p50 / p95 ms "
          "| p95 ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results["levels"]:
        b = base[r["scenario"]]
        print(f"| {r['scenario']} | {r['workers']} | {r['clients']} | {r['throughput']:.1f} | {r['p50']:.0f} | "
              f"{r['p95']:.0f} | {r['p99']:.0f} | {r['errors']} | {b['p50']:.0f} / {b['p95']:.0f} | "
              f"{r['p95'] / b['p95']:.1f}× |")
    print(f"\nload average at start {results['load_avg_start']}, at end {results['load_avg_end']}")


if __name__ == "__main__":
    main()
