"""Real-browser fixtures: each app runs as a real `streamlit run` subprocess on a free port over a temp
VERTICALS_HOME, and Playwright drives Debian's chromium (`./scripts/install-browser`) against it.

Streamlit renders asynchronously: tests wait for text (Playwright's auto-waiting `expect`), never sleep.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from shared.paths import PROJECT_ROOT

CHROMIUM = os.environ.get("VERTICALS_CHROMIUM", "/usr/bin/chromium")
START_TIMEOUT_S = 180  # a cold app start imports torch and loads MiniLM: slow on 2 busy cores


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RunningApp:
    url: str
    process: subprocess.Popen
    log: Path

    def log_tail(self, n: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-n:] if self.log.exists() else ""


def app_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERTICALS_") or k == "VERTICALS_DATA"}
    env.update(VERTICALS_HOME=str(home), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               TOKENIZERS_PARALLELISM="false", PYTHONUNBUFFERED="1", **extra)
    return env


def wait_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)  # polling a socket, not waiting for the page: the page waits are on text
    raise RuntimeError(f"streamlit at {url} not healthy after {timeout:.0f}s:\n{log.read_text(errors='replace')[-3000:]}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


@pytest.fixture
def start_app(tmp_path: Path) -> Iterator[Callable[..., RunningApp]]:
    """`start_app("customer_service", home, [port], EXTRA_ENV=...)` → a healthy app; stopped after the test."""
    started: list[RunningApp] = []

    def start(app: str, home: Path, port: int | None = None, **extra_env: str) -> RunningApp:
        port = port or free_port()  # a known port when a redirect URI must name it (OIDC)
        log = tmp_path / f"{app}-{port}.log"
        argv = [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / app / "app.py"),
                "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
                "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
        with open(log, "wb") as out:
            proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=PROJECT_ROOT,
                                    env=app_env(home, **extra_env), start_new_session=True)
        running = RunningApp(f"http://127.0.0.1:{port}", proc, log)
        started.append(running)
        wait_healthy(running.url, proc, log)
        return running

    yield start
    for running in started:
        stop(running.process)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"No browser at {CHROMIUM}: run ./scripts/install-browser first "
                    "(or set VERTICALS_CHROMIUM to a chromium binary).")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=90_000)  # app reruns that encode with MiniLM on 2 shared cores
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(90_000)  # app reruns that encode with MiniLM on 2 shared cores
    yield page
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        out = PROJECT_ROOT / ".pytest_cache" / "e2e"
        out.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call":
        item.rep_call = rep


@pytest.fixture(scope="session")
def minilm():
    """The real packaged MiniLM encoder, loaded once for the preparation of every app's data."""
    from shared.encoders import load_encoder

    return load_encoder("minilm")
