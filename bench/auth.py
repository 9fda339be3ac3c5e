"""Sign-in cost and the console gate's per-page-run overhead, each beside its baseline in one run.

1. Sign-in: `UserStore.authenticate` (one SELECT + one argon2id verify, RFC 9106 low-memory profile)
   against the same SELECT alone — the ratio is what the memory-hard hash costs per attempt.
2. Gate: a Streamlit page re-run through AppTest with and without `gate()` at its top — signed in as a
   local account (one users-table read per run) and in single-user mode — median of N re-runs each.

    python bench/auth.py [--n 40]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PLAIN = """
import streamlit as st
st.title("page")
st.write("hello")
"""
GATED = """
import streamlit as st
from shared.auth.streamlit_gate import gate
identity = gate("bot.chat")
st.title("page")
st.write("hello")
"""
PASSWORD = "a bench password, long enough"


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def sign_in(store, n: int) -> None:
    from sqlalchemy import select

    from shared.auth.users import User

    def lookup() -> None:
        with store.session() as s:
            s.scalar(select(User).where(User.email == "ana@example.com"))

    auth = timed(lambda: store.authenticate("ana@example.com", PASSWORD), n)
    base = timed(lookup, n)
    a, b = statistics.median(auth), statistics.median(base)
    print(f"sign-in (argon2id verify + lookup): median {a:.1f} ms, p95 {sorted(auth)[int(0.95 * n) - 1]:.1f} ms")
    print(f"baseline (lookup only):             median {b:.2f} ms   ratio {a / b:.0f}x")


def page(source: str, sign_in_as: str | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(source, default_timeout=60).run()
    if sign_in_as:
        at.text_input(key="signin_email").input(sign_in_as)
        at.text_input(key="signin_password").input(PASSWORD)
        at.button[0].click().run()
    at.run()  # warm
    if not any("hello" in m.value for m in at.markdown):
        raise RuntimeError("the bench page did not render (sign-in failed?)")
    return at


def gate(n: int) -> None:
    """Round-robin over the three pages, so load drift on a shared machine hits all of them alike."""
    from shared.auth import Identity
    from shared.auth.users import UserStore

    plain, single = page(PLAIN), page(GATED)  # no accounts yet: single-user on loopback
    UserStore().add("ana@example.com", "agent", PASSWORD, actor=Identity("x@example.com", "admin"))
    signed = page(GATED, sign_in_as="ana@example.com")
    times: dict[str, list[float]] = {"plain": [], "single": [], "signed": []}
    for _ in range(n):
        for key, at in (("plain", plain), ("single", single), ("signed", signed)):
            times[key] += timed(at.run, 1)
    p, s1, s2 = (statistics.median(times[k]) for k in ("plain", "single", "signed"))
    print(f"page run without gate:          median {p:.1f} ms")
    print(f"with gate, single-user mode:    median {s1:.1f} ms   overhead {s1 - p:+.1f} ms ({s1 / p:.2f}x)")
    print(f"with gate, signed-in account:   median {s2:.1f} ms   overhead {s2 - p:+.1f} ms ({s2 / p:.2f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=40)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="bench-auth-")
    os.environ["VERTICALS_HOME"] = home
    os.environ["VERTICALS_SUITE_DB"] = f"sqlite:///{home}/suite.db"
    os.chdir(Path(__file__).resolve().parent.parent)  # the repo's .streamlit/config.toml: loopback

    from shared.auth import Identity
    from shared.auth.users import UserStore

    store = UserStore()
    gate(args.n)
    if store.get("ana@example.com") is None:
        store.add("ana@example.com", "agent", PASSWORD, actor=Identity("x@example.com", "admin"))
    sign_in(store, args.n)


if __name__ == "__main__":
    main()
