"""A fake fourth app and a broken one, registered the way an installed package registers: a `*.dist-info`
folder with `entry_points.txt` on the import path. No reinstall of the project is needed.

`write_fake_apps(root)` writes, under `root`:
- package `zoo` (a real, tiny app: Typer group with `zoo hello`, a Streamlit page, a prepare that leaves a
  file in $VERTICALS_HOME) registered as `zoo = "zoo.spec:SPEC"`;
- entry point `broken = "brokenapp.spec:SPEC"` whose spec module raises ImportError naming a missing module.
Put `root` first on sys.path / PYTHONPATH to register them.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

ZOO_PORT = 8599
BROKEN_ERROR = "No module named 'zoo_missing_dependency'"

_SPEC = '''
from shared.apps import AppSpec, ServiceSpec

SPEC = AppSpec(name="zoo", label="Zoo keeper", help="A fake fourth app.", cli="zoo.cli:app",
               page="zoo.app", default_port={port}, prepare="zoo.demo:prepare",
               services=(ServiceSpec(name="feeder", label="Zoo feeder", command=("zoo", "feed")),),
               db_env="VERTICALS_ZOO_DB", db_file="zoo.db")
'''
_CLI = '''
import time

import typer

app = typer.Typer(help="Zoo commands.", no_args_is_help=True)


@app.command()
def hello(name: str = "world") -> None:
    """Greet."""
    typer.echo(f"zoo says hello to {name}")


@app.command()
def feed() -> None:
    """Run in the foreground until stopped (the app's background service)."""
    while True:
        time.sleep(0.2)
'''
_PAGE = '''
import streamlit as st

from shared.ui import render_sidebar

st.title("Zoo")
render_sidebar(st, [])
'''
_DEMO = '''
from shared.paths import verticals_home


def prepare() -> None:
    (verticals_home() / "zoo-prepared.txt").write_text("ready")
    print("zoo: prepared")


def explode() -> None:
    raise RuntimeError("the zoo's demo data is missing")
'''


def write_fake_apps(root: Path, port: int = ZOO_PORT) -> Path:
    pkg = root / "zoo"
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text('"""A fake fourth app for the tests."""\n')
    (pkg / "spec.py").write_text(_SPEC.format(port=port))
    (pkg / "cli.py").write_text(_CLI)
    (pkg / "app.py").write_text(_PAGE)
    (pkg / "demo.py").write_text(_DEMO)
    broken = root / "brokenapp"
    broken.mkdir(exist_ok=True)
    (broken / "__init__.py").write_text("")
    (broken / "spec.py").write_text("import zoo_missing_dependency  # noqa: F401\n")
    for dist, line in (("zoo", 'zoo = zoo.spec:SPEC'), ("brokenapp", 'broken = brokenapp.spec:SPEC')):
        info = root / f"{dist}-0.1.dist-info"
        info.mkdir(exist_ok=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
        (info / "entry_points.txt").write_text(f"[verticals.apps]\n{line}\n")
    importlib.invalidate_caches()
    return root


def forget_fake_apps() -> None:
    for name in [m for m in sys.modules if m.split(".")[0] in ("zoo", "brokenapp")]:
        del sys.modules[name]
    importlib.invalidate_caches()
