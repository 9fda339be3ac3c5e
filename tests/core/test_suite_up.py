"""`verticals up` as a user runs it: a real subprocess starts the three apps and the monitor's scheduler on
free ports, every URL answers its health check, and Ctrl-C (SIGINT) stops all of them — no orphaned
process, and the scheduler's store lock released. A fake fourth app registered through an entry point
starts beside them, and a broken one is a FAIL line that stops nothing else."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from shared.paths import PROJECT_ROOT
from tests.fake_apps import BROKEN_ERROR

APPS = ("bot", "monitor", "rec", "zoo")  # registered names: the [ports] keys


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def lock_holder(db: Path) -> tuple[str, object] | None:
    from finance_monitor.locking import StoreLock
    from finance_monitor.store import Store

    store = Store(f"sqlite:///{db}")
    try:
        return StoreLock(store).held_by()
    finally:
        store.dispose()


@pytest.mark.slow
def test_up_serves_every_app_and_ctrl_c_leaves_nothing_behind(tmp_path: Path, fake_apps: Path) -> None:
    home = tmp_path / "home"
    ports = dict(zip(APPS, free_ports(len(APPS))))
    api_port = free_ports(1)[0]
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERTICALS_") or k == "VERTICALS_DATA"}
    env.update(VERTICALS_HOME=str(home), VERTICALS_CONFIG=str(tmp_path / "none.toml"), PYTHONUNBUFFERED="1",
               VERTICALS_API__PORT=str(api_port),
               PYTHONPATH=os.pathsep.join([str(PROJECT_ROOT), str(fake_apps)]),
               **{f"VERTICALS_PORTS__{app.upper()}": str(port) for app, port in ports.items()})
    up = subprocess.Popen([sys.executable, "-m", "shared.cli.main", "up"], cwd=PROJECT_ROOT, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            line = up.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip())
            if "Ctrl-C stops the suite" in line:
                break
        out = "\n".join(lines)
        assert "Ctrl-C stops the suite" in out, out
        for app, port in ports.items():
            url = f"http://127.0.0.1:{port}"
            assert any(line.startswith("up") and line.endswith(url) for line in lines), (app, out)
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=10) as resp:
                assert resp.status == 200
        assert any(line.startswith("up") and "scheduler" in line.lower() for line in lines), out
        api = f"http://127.0.0.1:{api_port}"
        assert any(line.startswith("up") and line.endswith(api) for line in lines), out
        with urllib.request.urlopen(f"{api}/docs", timeout=10) as resp:
            assert resp.status == 200 and b"swagger" in resp.read().lower()
        assert any(line.startswith("up") and "Zoo feeder" in line for line in lines), out
        assert any(line.startswith("FAIL") and "app 'broken'" in line and BROKEN_ERROR in line for line in lines), out

        children = psutil.Process(up.pid).children(recursive=True)
        assert len(children) >= 6, [c.cmdline() for c in children]  # four apps, the scheduler and the feeder
        # The scheduler holds its lock on the monitor's store while it runs.
        db = home / "finance_monitor.db"
        deadline = time.monotonic() + 60
        while lock_holder(db) is None and time.monotonic() < deadline:
            time.sleep(0.5)
        assert lock_holder(db) is not None, "the scheduler never took its store lock"

        up.send_signal(signal.SIGINT)
        rest, _ = up.communicate(timeout=60)
        lines += rest.splitlines()
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
    assert up.returncode == 0, "\n".join(lines)
    assert lines[-1] == "suite stopped"
    _gone, alive = psutil.wait_procs(children, timeout=10)
    assert not alive, [p.pid for p in alive]
    for port in [*ports.values(), api_port]:
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still served"
    assert lock_holder(home / "finance_monitor.db") is None, "the scheduler lock was not released"
