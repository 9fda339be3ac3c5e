"""`verticals up`: start the three apps and the monitor's scheduler, wait for health, stop all on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import typer

from shared.paths import PROJECT_ROOT

APPS = {"customer_service": "Customer-service console", "finance_monitor": "Risk dashboard",
        "recommender": "Recommendation preview"}


@dataclass
class Service:
    name: str
    argv: list[str]
    health_url: str | None
    process: subprocess.Popen | None = None


def plan(host: str, ports: dict[str, int], scheduler: bool = True) -> list[Service]:
    services = []
    for app, port in ports.items():
        page = PROJECT_ROOT / app / "app.py"
        if not page.exists():
            continue
        services.append(Service(app, [sys.executable, "-m", "streamlit", "run", str(page), "--server.port",
                                      str(port), "--server.address", host, "--server.headless", "true",
                                      "--browser.gatherUsageStats", "false"],
                                f"http://{host}:{port}/_stcore/health"))
    if scheduler and (PROJECT_ROOT / "finance_monitor" / "scheduler.py").exists():
        services.append(Service("scheduler", [sys.executable, "-m", "shared.cli.main", "monitor", "run"], None))
    return services


def wait_healthy(service: Service, timeout: float = 120.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.process is not None and service.process.poll() is not None:
            return False
        if service.health_url is None:
            return True
        try:
            with urllib.request.urlopen(service.health_url, timeout=2) as resp:
                if resp.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def stop_all(services: list[Service]) -> None:
    """SIGTERM each process group (the scheduler releases its lock on SIGTERM), then SIGKILL stragglers."""
    for s in services:
        if s.process and s.process.poll() is None:
            os.killpg(s.process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for s in services:
        if s.process:
            try:
                s.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(s.process.pid, signal.SIGKILL)


def up(host: str = typer.Option(None, help="Address to listen on (default from settings)."),
       scheduler: bool = typer.Option(True, help="Also start the monitor's scheduler."),
       log_dir: Path = typer.Option(None, help="Where each service's log goes (default $VERTICALS_HOME/logs).")) -> None:
    """Start the suite; print the URLs; Ctrl-C stops everything cleanly."""
    from shared.settings import get_settings

    settings = get_settings()
    host = host or settings.host
    from shared.auth.exposure import check_suite_exposure

    check_suite_exposure(host, PROJECT_ROOT)  # nobody can sign in → loopback only (docs/teams.md)
    log_dir = log_dir or Path(os.environ.get("VERTICALS_HOME", settings.home)) / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    services = plan(host, settings.ports.model_dump(), scheduler)
    stopping = False

    def on_signal(signum, frame):  # noqa: ANN001 - signal handler signature
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        for s in services:
            log = open(log_dir / f"{s.name}.log", "ab")
            s.process = subprocess.Popen(s.argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                         cwd=PROJECT_ROOT)
        for s in services:
            ok = wait_healthy(s)
            where = s.health_url.rsplit("/_stcore", 1)[0] if s.health_url else "(background jobs)"
            label = APPS.get(s.name, "Monitor scheduler")
            typer.echo(f"{'up  ' if ok else 'FAIL'} {label:<28} {where}" +
                       ("" if ok else f"   see {log_dir / (s.name + '.log')}"))
        typer.echo("Ctrl-C stops the suite.")
        while not stopping:
            for s in services:
                if s.process and s.process.poll() is not None and not stopping:
                    typer.echo(f"{s.name} exited with code {s.process.returncode}; see {log_dir / (s.name + '.log')}")
                    s.process = None
            time.sleep(0.5)
    finally:
        stop_all(services)
        typer.echo("suite stopped")
