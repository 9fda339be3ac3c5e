"""What the database facility costs, each figure beside its baseline in one run.

1. Opening a store on a database already at head: the start-up check (`ensure_schema`: table list +
   version row) against the pre-migration open (`create_all`, which also inspects every table).
2. A fresh PostgreSQL database per test: `CREATE DATABASE ... TEMPLATE` (the stores already at head)
   against an empty database brought to head by the stores' first open.

    python bench/db.py [--repeat 20] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

# The project root first: bench/customer_service.py would otherwise shadow the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def bench_open(repeat: int) -> None:
    from customer_service.store import CHAIN, Base
    from shared.db import create_schema, ensure_schema, make_engine

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bot.db'}"
        engine = make_engine(url)
        ensure_schema(CHAIN, engine)
        engine.dispose()

        def facility() -> None:
            e = make_engine(url)
            ensure_schema(CHAIN, e)
            e.dispose()

        def baseline() -> None:
            e = make_engine(url)
            create_schema(Base.metadata, e)
            e.dispose()

        ours, base = _median_ms(facility, repeat), _median_ms(baseline, repeat)
    print(f"open bot store at head (SQLite), median of {repeat}: start-up check {ours:.1f} ms, "
          f"create_all {base:.1f} ms, ratio {ours / base:.2f}")


def bench_pg(admin_url: str, repeat: int) -> None:
    from shared.cli.db import chains
    from shared.db import make_engine
    from shared.db.migrations import upgrade
    from tests.db_backends import PostgresServer

    server = PostgresServer(admin_url)
    if not server.reachable():
        print(f"PostgreSQL: skipped ({server.error})")
        return
    try:
        server.fresh_database()  # builds the template once, as a test session does

        def from_template() -> None:
            server.drop(server.create(server.template))

        def from_empty() -> None:
            name = server.create()
            engine = make_engine(server.url(name))
            for chain in chains():
                upgrade(chain, engine)
            engine.dispose()
            server.drop(name)

        ours, base = _median_ms(from_template, repeat), _median_ms(from_empty, repeat)
        print(f"fresh PostgreSQL database with every store at head, median of {repeat}: template {ours:.0f} ms, "
              f"empty + create {base:.0f} ms, ratio {ours / base:.2f}")
    finally:
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    bench_open(args.repeat)
    bench_pg(args.pg, max(3, args.repeat // 4))


if __name__ == "__main__":
    main()
