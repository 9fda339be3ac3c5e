"""The core iterates what is registered: a fake fourth app shows up in the CLI, `up`'s plan, the sidebar and
the demo; a broken app is reported by name everywhere; nothing under shared/ names the built-in apps."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tokenize
from dataclasses import replace
from pathlib import Path

import pytest

from shared.apps import Registered, registered_apps
from shared.cli.suite import plan
from shared.paths import PROJECT_ROOT
from shared.settings import Settings, get_settings
from tests.fake_apps import BROKEN_ERROR, ZOO_PORT

APP_PACKAGES = ("customer_service", "finance_monitor", "recommender")


def cli(*args: str, fake_root: Path | None = None) -> subprocess.CompletedProcess:
    path = [str(PROJECT_ROOT)] + ([str(fake_root)] if fake_root else [])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    return subprocess.run([sys.executable, "-m", "shared.cli.main", *args], capture_output=True, text=True,
                          env=env, cwd=PROJECT_ROOT, timeout=300, check=False)


def test_nothing_under_shared_names_an_app() -> None:
    """Imports, names and strings naming an app package (a module path, a folder, the bare name) are out;
    prose such as "recommender configurations" or "the recommender's text tower" is not a reference.
    shared/datasets/ may name data sets."""
    found = []
    for path in sorted((PROJECT_ROOT / "shared").rglob("*.py")):
        if "datasets" in path.relative_to(PROJECT_ROOT).parts:
            continue
        for tok in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
            text = tok.string
            if tok.type == tokenize.NAME and text in APP_PACKAGES:
                found.append((path, tok.start[0], text))
            elif tok.type in (tokenize.STRING, tokenize.COMMENT) and any(
                    (p in text if "_" in p else text.strip("'\"") == p
                     or re.search(rf"\b{p}(\.[A-Za-z_]|[/:])|[/.]{p}\b", text))
                    for p in APP_PACKAGES):
                found.append((path, tok.start[0], text[:60]))
    assert found == [], "\n".join(f"{p.relative_to(PROJECT_ROOT)}:{line}: {t}" for p, line, t in found)


def test_the_cli_lists_a_fake_app_runs_it_and_reports_a_broken_one(fake_apps: Path) -> None:
    out = cli("--help", fake_root=fake_apps)
    assert out.returncode == 0, out.stderr
    for name in ("bot", "monitor", "rec", "zoo", "models", "finetune", "up"):
        assert f" {name} " in out.stdout, (name, out.stdout)
    assert "A fake fourth app." in out.stdout
    errors = out.stderr.strip().splitlines()
    assert len(errors) == 1, out.stderr
    assert errors[0].startswith("error: app 'broken' failed to load (brokenapp.spec:SPEC)")
    assert BROKEN_ERROR in errors[0]

    hello = cli("zoo", "hello", "--name", "the lead", fake_root=fake_apps)
    assert hello.returncode == 0, hello.stderr
    assert hello.stdout.strip() == "zoo says hello to the lead"
    listing = cli("models", "list", fake_root=fake_apps)  # the core's commands keep working
    assert listing.returncode == 0, listing.stderr
    gone = cli("broken", fake_root=fake_apps)
    assert gone.returncode != 0 and "app 'broken'" in gone.stderr and "No such command" in gone.stderr


def test_verticals_apps_lists_what_is_registered(fake_apps: Path) -> None:
    out = cli("apps", fake_root=fake_apps)
    assert out.returncode == 1  # a registered app failed to load
    rows = {line.split()[0]: line for line in out.stdout.strip().splitlines()}
    assert list(rows) == ["bot", "monitor", "rec", "zoo", "broken"]
    assert "port 8501" in rows["bot"] and "monitor-scheduler" not in rows["monitor"]
    assert "scheduler (verticals monitor run)" in rows["monitor"]
    assert f"port {ZOO_PORT}" in rows["zoo"] and "page zoo.app" in rows["zoo"]
    assert "FAILED" in rows["broken"] and BROKEN_ERROR in rows["broken"]
    assert cli("apps").returncode == 0


def test_the_cli_without_a_broken_app_prints_no_error() -> None:
    out = cli("--help")
    assert out.returncode == 0 and out.stderr == ""
    assert " zoo " not in out.stdout and " bot " in out.stdout


def test_a_cli_group_that_fails_to_import_is_one_red_line(tmp_path: Path) -> None:
    """The spec loads but `pkg.cli` raises at import: reported with its error, the other commands work."""
    pkg = tmp_path / "owl"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "spec.py").write_text("from shared.apps import AppSpec\nSPEC = AppSpec(name='owl', label='Owl', "
                                 "cli='owl.cli:app', page='owl.app', default_port=8610)\n")
    (pkg / "cli.py").write_text("raise ImportError('owl needs the nightvision package: pip install it')\n")
    info = tmp_path / "owl-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: owl\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[verticals.apps]\nowl = owl.spec:SPEC\n")
    out = cli("data", "models", fake_root=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stderr.strip() == ("error: app 'owl' failed to load (owl.cli:app): ImportError: owl needs the "
                                  "nightvision package: pip install it")


def test_up_plans_every_registered_app_and_fails_the_broken_one(fake_apps: Path) -> None:
    services = {s.name: s for s in plan("127.0.0.1", {"zoo": 9001, "bot": 8601})}
    assert list(services) == ["bot", "monitor", "rec", "zoo", "broken", "monitor-scheduler", "zoo-feeder"]
    zoo = services["zoo"]
    assert zoo.error is None and zoo.label == "Zoo keeper"
    assert str(fake_apps / "zoo" / "app.py") in zoo.argv and zoo.argv[zoo.argv.index("--server.port") + 1] == "9001"
    assert zoo.health_url == "http://127.0.0.1:9001/_stcore/health"
    assert services["bot"].url == "http://127.0.0.1:8601" and services["rec"].url == "http://127.0.0.1:8503"
    assert services["zoo-feeder"].argv[-3:] == ["shared.cli.main", "zoo", "feed"]
    assert services["monitor-scheduler"].argv[-2:] == ["monitor", "run"]
    broken = services["broken"]
    assert broken.argv == [] and BROKEN_ERROR in (broken.error or "")
    without = [s.name for s in plan("127.0.0.1", {}, scheduler=False)]
    assert without == ["bot", "monitor", "rec", "zoo", "broken"]


def test_up_fails_an_app_whose_page_is_missing_or_whose_port_is_taken(fake_apps: Path) -> None:
    reg = registered_apps()
    zoo = reg.get("zoo")
    assert zoo is not None
    gone = replace(zoo, name="gnu", page="zoo.no_such_page")
    twin = replace(zoo, name="twin")
    services = {s.name: s for s in plan("127.0.0.1", {"twin": ZOO_PORT},
                                        registered=Registered((zoo, gone, twin), ()))}
    assert "page 'zoo.no_such_page'" in (services["gnu"].error or "")
    assert f"port {ZOO_PORT} is also 'zoo''s" in (services["twin"].error or "")
    assert services["zoo"].error is None


def test_ports_come_from_settings_by_app_name_else_the_spec(fake_apps: Path, monkeypatch) -> None:
    monkeypatch.setenv("VERTICALS_PORTS__ZOO", "9123")
    monkeypatch.setenv("VERTICALS_CONFIG", str(fake_apps / "none.toml"))
    settings = Settings()
    reg = registered_apps()
    assert settings.port(reg.get("zoo")) == 9123
    assert settings.port(reg.get("bot")) == 8501
    toml = fake_apps / "verticals.toml"
    toml.write_text("[ports]\nbot = 8601\n")
    monkeypatch.setenv("VERTICALS_CONFIG", str(toml))
    monkeypatch.setenv("VERTICALS_PORTS__ZOO", "99999")
    with pytest.raises(ValueError, match="port 99999 for 'zoo'"):
        Settings()
    # The file is chosen when the settings module is imported: read it in a fresh process.
    code = ("from shared.apps import registered_apps; from shared.settings import get_settings; "
            "s = get_settings(); print(*[s.port(a) for a in registered_apps().apps])")
    env = {**os.environ, "VERTICALS_CONFIG": str(toml), "VERTICALS_PORTS__REC": "8613"}
    env.pop("VERTICALS_PORTS__ZOO")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=PROJECT_ROOT,
                         timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["8601", "8502", "8613"]  # file, spec default, environment


def test_the_sidebar_links_every_registered_app_and_reports_the_broken_one(fake_apps: Path,
                                                                          monkeypatch) -> None:
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("VERTICALS_CONFIG", str(fake_apps / "none.toml"))
    monkeypatch.setenv("VERTICALS_PORTS__REC", "8613")
    get_settings.cache_clear()
    try:
        at = AppTest.from_file(str(fake_apps / "zoo" / "app.py"), default_timeout=60).run()
    finally:
        get_settings.cache_clear()
    assert not at.exception, at.exception
    links = [m.value for m in at.sidebar.markdown]
    assert links[:5] == ["**verticals suite**", "- [Customer-service console](http://127.0.0.1:8501)",
                         "- [Risk dashboard](http://127.0.0.1:8502)",
                         "- [Recommendation preview](http://127.0.0.1:8613)",
                         f"- [Zoo keeper](http://127.0.0.1:{ZOO_PORT})"]
    captions = [c.value for c in at.sidebar.caption]
    assert any("app 'broken' failed to load" in c and BROKEN_ERROR in c for c in captions), captions


def test_the_demo_prepares_each_app_and_reports_failures_by_name(fake_apps: Path, tmp_path: Path,
                                                                 monkeypatch) -> None:
    from shared.demo import prepare_apps

    monkeypatch.setenv("VERTICALS_HOME", str(tmp_path))
    reg = registered_apps()
    zoo = reg.get("zoo")
    assert zoo is not None
    exploding = replace(zoo, name="yak", prepare="zoo.demo:explode")
    missing = replace(zoo, name="emu", prepare="zoo.demo:no_such_function")
    no_demo = replace(zoo, name="gnu", prepare=None)
    errors = prepare_apps(Registered((exploding, missing, no_demo, zoo), reg.failures))
    assert (tmp_path / "zoo-prepared.txt").read_text() == "ready"  # the others still ran
    assert len(errors) == 3, errors
    assert any(e.startswith("app 'broken' failed to load") and BROKEN_ERROR in e for e in errors)
    assert "app 'yak': prepare failed: RuntimeError: the zoo's demo data is missing" in errors
    assert any("app 'emu': prepare 'zoo.demo:no_such_function'" in e and "AttributeError" in e for e in errors)
