"""`verticals up`: start every registered app's page and background services, wait for health, stop all on
Ctrl-C. An app that fails to load is a FAIL line naming its error; the other apps start."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from shared.apps import Registered, registered_apps
from shared.errors import AppLoadError
from shared.paths import PROJECT_ROOT


@dataclass
class Service:
    name: str  # also the log file's name
    label: str
    argv: list[str]
    health_url: str | None
    process: subprocess.Popen | None = None
    error: str | None = None  # set when the service cannot start at all (its app failed to load)

    @property
    def url(self) -> str:
        return self.health_url.rsplit("/_stcore", 1)[0].removesuffix("/healthz") if self.health_url \
            else "(background jobs)"


def plan(host: str, ports: Mapping[str, int] | None = None, scheduler: bool = True,
         registered: Registered | None = None, api_port: int | None = None) -> list[Service]:
    """One Streamlit service per registered app (port: `ports[name]`, else the spec's default), then the
    apps' background services when `scheduler` is set. Apps that failed to load come back with `error` set."""
    apps, failures = registered if registered is not None else registered_apps()
    ports = ports or {}
    services: list[Service] = []
    taken: dict[int, str] = {}
    for spec in apps:
        port = ports.get(spec.name, spec.default_port)
        try:
            page = spec.page_path()
        except AppLoadError as exc:
            services.append(Service(spec.name, spec.label, [], None, error=str(exc)))
            continue
        if port in taken:
            services.append(Service(spec.name, spec.label, [], None, error=(
                f"port {port} is also {taken[port]!r}'s: set [ports] {spec.name} = ... in verticals.toml "
                f"or VERTICALS_PORTS__{spec.name.upper()}")))
            continue
        taken[port] = spec.name
        services.append(Service(spec.name, spec.label,
                                [sys.executable, "-m", "streamlit", "run", str(page), "--server.port", str(port),
                                 "--server.address", host, "--server.headless", "true",
                                 "--browser.gatherUsageStats", "false"],
                                f"http://{host}:{port}/_stcore/health"))
    for failure in failures:
        services.append(Service(failure.name, f"app {failure.name!r}", [], None, error=str(failure)))
    if scheduler:
        for spec in apps:
            for svc in spec.services:
                services.append(Service(f"{spec.name}-{svc.name}", svc.label,
                                        [sys.executable, "-m", "shared.cli.main", *svc.command], None))
    if api_port:
        services.append(Service("api", "HTTP API (/docs, /chat/WS)",
                                [sys.executable, "-m", "shared.cli.main", "serve", "--host", host, "--port",
                                 str(api_port)], f"http://{host}:{api_port}/healthz"))
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


def up(host: Annotated[str | None, typer.Option(help="Address to listen on (default from settings).")] = None,
       scheduler: Annotated[bool, typer.Option(help="Also start the apps' background services (e.g. the "
                                                    "monitor's scheduler).")] = True,
       log_dir: Annotated[Path | None, typer.Option(
           help="Where each service's log goes (default $VERTICALS_HOME/logs).")] = None) -> None:
    """Start the suite; print the URLs; Ctrl-C stops everything cleanly."""
    from shared.settings import get_settings

    settings = get_settings()
    host = host or settings.host
    from shared.auth.exposure import check_suite_exposure

    check_suite_exposure(host, PROJECT_ROOT)  # nobody can sign in → loopback only (docs/teams.md)
    log_dir = log_dir or Path(os.environ.get("VERTICALS_HOME", settings.home)) / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    services = plan(host, settings.ports, scheduler, api_port=settings.api.port)
    stopping = False

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        for s in services:
            if s.error is None:
                with open(log_dir / f"{s.name}.log", "ab") as log:  # the child keeps its own descriptor
                    s.process = subprocess.Popen(s.argv, stdout=log, stderr=subprocess.STDOUT,
                                                 start_new_session=True, cwd=PROJECT_ROOT)
        for s in services:
            if s.error is not None:
                typer.secho(f"FAIL {s.label:<28} {s.error}", fg="red")
                continue
            ok = wait_healthy(s)
            typer.echo(f"{'up  ' if ok else 'FAIL'} {s.label:<28} {s.url}" +
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
