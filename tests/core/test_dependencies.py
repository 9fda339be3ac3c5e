"""Every third-party module that the suite's code imports is declared in pyproject.toml's dependencies.

Walks the imports (top level and inside functions) of `shared/` and the apps, maps each import name to the
distributions that provide it (`importlib.metadata.packages_distributions()`), and fails on one that no
declared requirement names: with a transitive dependency as the only provider, a resolver update that
drops it breaks the suite (it happened with `click` under a newer typer).
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

import tomllib
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
FIRST_PARTY = {"shared", "customer_service", "finance_monitor", "recommender"}
SCANNED = sorted(FIRST_PARTY)


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared_distributions(pyproject: Path = ROOT / "pyproject.toml") -> set[str]:
    project = tomllib.loads(pyproject.read_text())["project"]
    return {_canonical(Requirement(r).name) for r in project.get("dependencies", [])}


def imported_modules(folders: list[Path]) -> dict[str, set[str]]:
    """Top-level names of the absolute imports in every .py file under `folders` → the files importing them."""
    found: dict[str, set[str]] = {}
    for folder in folders:
        for path in sorted(folder.rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                names: list[str] = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                for name in names:
                    found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(folder.parent)))
    return found


def third_party(found: dict[str, set[str]]) -> dict[str, set[str]]:
    return {m: files for m, files in found.items()
            if m not in FIRST_PARTY and m not in sys.stdlib_module_names and m != "__future__"}


def undeclared(found: dict[str, set[str]], declared: set[str]) -> dict[str, str]:
    """Import name → why it is not covered (no installed provider, or providers none of which is declared)."""
    providers = importlib.metadata.packages_distributions()
    problems = {}
    for module, files in sorted(third_party(found).items()):
        # A module not installed here may still be declared for another Python (tomli, before 3.11).
        dists = {_canonical(d) for d in providers.get(module, [])} or {_canonical(module)}
        if module not in providers and not dists & declared:
            problems[module] = f"no installed distribution provides it (imported by {min(files)})"
        elif not dists & declared:
            problems[module] = (f"provided by {', '.join(sorted(dists))}, not declared in pyproject.toml "
                                f"(imported by {min(files)})")
    return problems


def test_every_imported_third_party_module_is_declared():
    found = imported_modules([ROOT / name for name in SCANNED])
    assert len(third_party(found)) > 20  # the walk saw the suite's real imports (torch, numpy, ...)
    problems = undeclared(found, declared_distributions())
    assert problems == {}, "\n".join(f"{m}: {why}" for m, why in problems.items())


def test_the_check_catches_an_undeclared_import(tmp_path: Path):
    """The same walk over a module importing `click` and `yaml`, against a pyproject declaring only PyYAML."""
    pkg = tmp_path / "app"
    pkg.mkdir()
    (pkg / "cli.py").write_text("import os\nimport yaml\n\n\ndef main():\n    from click import echo\n    echo(os.sep)\n")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = ["PyYAML>=6"]\n')
    found = imported_modules([pkg])
    assert set(third_party(found)) == {"yaml", "click"}
    problems = undeclared(found, declared_distributions(tmp_path / "pyproject.toml"))
    assert list(problems) == ["click"]
    assert "provided by click, not declared" in problems["click"]


def test_every_declared_requirement_is_locked():
    """constraints.txt (written by ./scripts/lock) pins every requirement of pyproject.toml, dev extra
    included: a dependency added without re-locking would install whatever is newest that day."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [Requirement(r) for r in [*project["dependencies"], *project["optional-dependencies"]["dev"]]]
    wanted = {_canonical(r.name) for r in requirements if r.marker is None or r.marker.evaluate()}
    locked = {_canonical(line.split("==")[0]) for line in (ROOT / "constraints.txt").read_text().splitlines()
              if "==" in line and not line.startswith("#")}
    assert sorted(wanted - locked) == [], "run ./scripts/lock"
    torch = [line for line in (ROOT / "constraints.txt").read_text().splitlines() if line.startswith("torch==")]
    assert len(torch) == 1 and torch[0].endswith("+cpu"), "the lock keeps the CPU build of torch"
