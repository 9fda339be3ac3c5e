"""The app contract: each app describes itself once in an `AppSpec` and registers it as an entry point.

An app package holds a light `spec.py` (no torch, no heavy imports) with `SPEC = AppSpec(...)`, and one line
in `pyproject.toml`:

    [project.entry-points."verticals.apps"]
    shop = "shop.spec:SPEC"

The core (`verticals`, `verticals up`, `./scripts/demo`, the sidebar links, the ports) iterates
`registered_apps()` and never names an app. The spec's references ("pkg.module:attr") are strings, so reading
the registry imports only the spec modules; the Typer group, the demo's `prepare` and the API router load
when they are used. An app that fails to load is returned as an `AppFailure` (name + error), never dropped.

Where the entry points come from: the installed distributions' metadata (`importlib.metadata`), as pytest
reads `pytest11`. One exception keeps a source checkout honest: when the core runs from a checkout whose
`pyproject.toml` is the `verticals` project, that file's own `verticals.apps` table stands in for the
installed `verticals` metadata, which may be stale (installed before an app was added) or belong to another
checkout of the same project sharing the virtualenv. Other distributions (a fourth app shipped as its own
package) always come from their installed metadata.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

from shared.errors import AppLoadError, AppSpecError
from shared.paths import PROJECT_ROOT

GROUP = "verticals.apps"
PROJECT = "verticals"  # the distribution name in pyproject.toml

_NAME = re.compile(r"^[a-z][a-z0-9]{0,31}$")
_REF = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
_MODULE = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_]\w*)*$")
_ENV = re.compile(r"^[A-Z][A-Z0-9_]*$")


def load_ref(ref: str, what: str) -> Any:
    """Import "pkg.module:attr" (attr may be dotted) and return the object; errors name `what` and the ref."""
    module_name, _, attr = ref.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except Exception as exc:
        raise AppLoadError(f"{what} {ref!r} could not be loaded: {type(exc).__name__}: {exc}") from exc
    return obj


@dataclass(frozen=True)
class ServiceSpec:
    """A background process `verticals up` starts beside the app's page (e.g. the monitor's scheduler)."""

    name: str = field(metadata={"help": "Short id, used for the log file name (e.g. 'scheduler')."})
    label: str = field(metadata={"help": "What `up` prints next to the service's status."})
    command: tuple[str, ...] = field(metadata={
        "help": "The `verticals` sub-command that runs it in the foreground, e.g. ('monitor', 'run')."})

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise AppSpecError(f"service name {self.name!r} must be 1-32 lowercase letters or digits, "
                               "starting with a letter")
        if not self.label.strip():
            raise AppSpecError(f"service {self.name!r} needs a label: the text `verticals up` prints")
        if not self.command or not all(isinstance(c, str) and c for c in self.command):
            raise AppSpecError(f"service {self.name!r}: command {self.command!r} must be a non-empty tuple of "
                               "verticals sub-command words, e.g. ('monitor', 'run')")


@dataclass(frozen=True)
class AppSpec:
    """One app, described once. Strings reference code as "pkg.module:attr" so reading the spec is cheap."""

    name: str = field(metadata={"help": "The CLI group (`verticals NAME ...`), the `[ports]` key and the "
                                        "entry-point name: 1-32 lowercase letters or digits."})
    label: str = field(metadata={"help": "Human title: the sidebar link text and `up`'s status line."})
    cli: str = field(metadata={"help": "The app's Typer group, e.g. 'shop.cli:app'."})
    page: str = field(metadata={"help": "The Streamlit page as a module name, e.g. 'shop.app'."})
    default_port: int = field(metadata={"help": "Port of the page unless settings say otherwise "
                                                "(`[ports] NAME = ...` or VERTICALS_PORTS__NAME)."})
    help: str = field(default="", metadata={"help": "One line for `verticals --help` (default: the label)."})
    prepare: str | None = field(default=None, metadata={
        "help": "Builds the demo state for `./scripts/demo`, e.g. 'shop.demo:prepare'; "
                "called with no arguments, must be idempotent."})
    services: tuple[ServiceSpec, ...] = field(default=(), metadata={
        "help": "Background processes `verticals up` starts beside the page."})
    api: str | None = field(default=None, metadata={
        "help": "The app's FastAPI router for the suite's HTTP API, e.g. 'shop.api:router'."})
    db_env: str | None = field(default=None, metadata={
        "help": "Environment variable holding the app's database URL, e.g. 'VERTICALS_SHOP_DB'."})
    db_file: str | None = field(default=None, metadata={
        "help": "SQLite file under $VERTICALS_HOME when db_env is unset, e.g. 'shop.db'."})
    migrations: str | None = field(default=None, metadata={
        "help": "The store's migration chain (a shared.db.Chain: metadata, Alembic folder, URL setting), "
                "e.g. 'shop.store:CHAIN'; `verticals db` upgrades and backs it up."})

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise AppSpecError(f"app name {self.name!r} must be 1-32 lowercase letters or digits starting with "
                               "a letter (it becomes a CLI group and a settings key)")
        if not self.label.strip():
            raise AppSpecError(f"app {self.name!r} needs a label (the sidebar link text)")
        for attr in ("cli", "prepare", "api"):
            value = getattr(self, attr)
            if value is not None and not _REF.match(value):
                raise AppSpecError(f"app {self.name!r}: {attr}={value!r} must look like 'package.module:attribute'")
        if not _MODULE.match(self.page):
            raise AppSpecError(f"app {self.name!r}: page={self.page!r} must be a module name such as "
                               "'package.app' (the Streamlit script)")
        if isinstance(self.default_port, bool) or not isinstance(self.default_port, int) \
                or not 1024 <= self.default_port <= 65535:
            raise AppSpecError(f"app {self.name!r}: default_port={self.default_port!r} must be an integer "
                               "in 1024-65535")
        if self.db_env is not None and not _ENV.match(self.db_env):
            raise AppSpecError(f"app {self.name!r}: db_env={self.db_env!r} must be an environment variable name "
                               "in capitals, e.g. 'VERTICALS_SHOP_DB'")
        if self.db_file is not None and (not self.db_file or Path(self.db_file).is_absolute()
                                         or ".." in Path(self.db_file).parts):
            raise AppSpecError(f"app {self.name!r}: db_file={self.db_file!r} must be a relative path inside "
                               "$VERTICALS_HOME")
        if not isinstance(self.services, tuple) or not all(isinstance(s, ServiceSpec) for s in self.services):
            raise AppSpecError(f"app {self.name!r}: services must be a tuple of ServiceSpec")
        names = [s.name for s in self.services]
        if len(set(names)) != len(names):
            raise AppSpecError(f"app {self.name!r}: service names {names} repeat")

    @property
    def summary(self) -> str:
        return self.help or self.label

    def load_cli(self) -> Any:
        """The app's Typer group (imports the app's CLI module)."""
        return load_ref(self.cli, f"app {self.name!r}: cli")

    def load_prepare(self) -> Callable[[], Any] | None:
        return None if self.prepare is None else load_ref(self.prepare, f"app {self.name!r}: prepare")

    def load_migrations(self) -> Any:
        return None if self.migrations is None else load_ref(self.migrations, f"app {self.name!r}: migrations")

    def load_api(self) -> Any:
        return None if self.api is None else load_ref(self.api, f"app {self.name!r}: api")

    def page_path(self) -> Path:
        """The Streamlit script's file, found without executing it (only its parent package is imported)."""
        try:
            found = importlib.util.find_spec(self.page)
        except Exception as exc:
            raise AppLoadError(f"app {self.name!r}: page {self.page!r} could not be found: "
                               f"{type(exc).__name__}: {exc}") from exc
        if found is None or not found.origin or not found.origin.endswith(".py"):
            raise AppLoadError(f"app {self.name!r}: page {self.page!r} is not an importable .py module; "
                               "check the spec's `page`")
        return Path(found.origin)


@dataclass(frozen=True)
class AppFailure:
    """A registered app that could not be loaded: shown by name with its error, never skipped quietly."""

    name: str
    error: str
    source: str = ""  # the entry point's value, e.g. "shop.spec:SPEC"

    def __str__(self) -> str:
        return f"app {self.name!r} failed to load ({self.source}): {self.error}" if self.source \
            else f"app {self.name!r} failed to load: {self.error}"


@dataclass(frozen=True)
class Registered:
    """What `registered_apps()` found: the loaded specs (sorted by name) and the failures."""

    apps: tuple[AppSpec, ...]
    failures: tuple[AppFailure, ...]

    def __iter__(self) -> Iterator[Any]:  # lets callers write `apps, failures = registered_apps()`
        return iter((self.apps, self.failures))

    def get(self, name: str) -> AppSpec | None:
        return next((a for a in self.apps if a.name == name), None)


def _checkout_entry_points(root: Path) -> list[EntryPoint] | None:
    """The `verticals.apps` table of the checkout the core runs from, or None outside a checkout."""
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return None
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    if data.get("project", {}).get("name") != PROJECT:
        return None
    table = data["project"].get("entry-points", {}).get(GROUP, {})
    return [EntryPoint(name=name, value=value, group=GROUP) for name, value in table.items()]


def _entry_points(root: Path) -> list[EntryPoint]:
    installed = list(entry_points(group=GROUP))
    own = _checkout_entry_points(root)
    if own is None:
        return installed
    others = [ep for ep in installed if ep.dist is None or ep.dist.name.lower() != PROJECT]
    return own + others


_last: tuple[tuple[str, tuple[str, ...]], Registered] | None = None


def registered_apps(root: Path | None = None) -> Registered:
    """Load every app registered under the `verticals.apps` entry points.

    `root` is the source checkout whose pyproject.toml declares the built-in apps (default: the one this core
    runs from); see the module docstring. Scanning every installed distribution costs tens of milliseconds,
    and a Streamlit page asks on each rerun, so the answer is kept while `sys.path` stays the same.
    """
    global _last
    key = (str(root or PROJECT_ROOT), tuple(sys.path))
    if _last is not None and _last[0] == key:
        return _last[1]
    found = _load(root or PROJECT_ROOT)
    _last = (key, found)
    return found


def _load(root: Path) -> Registered:
    apps: dict[str, AppSpec] = {}
    failures: list[AppFailure] = []
    for ep in _entry_points(root):
        try:
            spec = ep.load()
        except Exception as exc:  # noqa: BLE001 - any import-time error of an app is reported under its name
            failures.append(AppFailure(ep.name, f"{type(exc).__name__}: {exc}", ep.value))
            continue
        if not isinstance(spec, AppSpec):
            failures.append(AppFailure(ep.name, f"{ep.value} is a {type(spec).__name__}, not an AppSpec",
                                       ep.value))
        elif spec.name != ep.name:
            failures.append(AppFailure(ep.name, f"the entry point is named {ep.name!r} but its spec says "
                                                f"name={spec.name!r}; make them equal", ep.value))
        elif spec.name in apps:
            failures.append(AppFailure(ep.name, f"the name {spec.name!r} is registered twice; rename one app",
                                       ep.value))
        else:
            apps[spec.name] = spec
    return Registered(tuple(sorted(apps.values(), key=lambda a: a.name)),
                      tuple(sorted(failures, key=lambda f: f.name)))


def spec_help() -> dict[str, str]:
    """Field name → help text, for docs and `--help` texts generated from one place."""
    return {f.name: f.metadata.get("help", "") for f in fields(AppSpec)}
