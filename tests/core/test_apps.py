"""The app contract: specs validate, the registry loads what is registered and reports what fails."""

from __future__ import annotations

import subprocess
import sys

import pytest

from shared.apps import AppSpec, ServiceSpec, registered_apps, spec_help
from shared.errors import AppLoadError, AppSpecError
from shared.paths import PROJECT_ROOT
from tests.fake_apps import BROKEN_ERROR, ZOO_PORT

GOOD = {"name": "zoo", "label": "Zoo", "cli": "zoo.cli:app", "page": "zoo.app", "default_port": 8599}


def test_the_three_apps_are_registered_with_their_parts() -> None:
    apps, failures = registered_apps()
    assert failures == ()
    assert [a.name for a in apps] == ["bot", "monitor", "rec"]
    by_name = {a.name: a for a in apps}
    assert by_name["bot"].page_path() == PROJECT_ROOT / "customer_service" / "app.py"
    assert by_name["monitor"].services[0].command == ("monitor", "run")
    assert by_name["monitor"].db_env == "VERTICALS_MONITOR_DB"
    assert [a.default_port for a in apps] == [8501, 8502, 8503]


def test_reading_the_registry_imports_no_heavy_module() -> None:
    code = ("import sys; from shared.apps import registered_apps; r = registered_apps(); "
            "[a.page_path() for a in r.apps]; "
            "heavy = [m for m in sys.modules if m.split('.')[0] in ('torch', 'pandas', 'streamlit', 'typer') "
            "or m.endswith(('.cli', '.demo', '.app', '.store'))]; print(len(r.apps), heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT,
                         timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "3 []"


def test_a_fake_app_is_loaded_and_a_broken_one_reported_by_name(fake_apps) -> None:
    reg = registered_apps()
    assert [a.name for a in reg.apps] == ["bot", "monitor", "rec", "zoo"]
    zoo = reg.get("zoo")
    assert zoo is not None and zoo.default_port == ZOO_PORT and zoo.page_path() == fake_apps / "zoo" / "app.py"
    assert zoo.load_cli().info.help == "Zoo commands."
    assert [f.name for f in reg.failures] == ["broken"]
    assert BROKEN_ERROR in reg.failures[0].error and "ModuleNotFoundError" in reg.failures[0].error
    assert "broken" in str(reg.failures[0]) and "brokenapp.spec:SPEC" in str(reg.failures[0])


def test_a_spec_whose_name_differs_from_its_entry_point_is_a_failure(tmp_path, monkeypatch) -> None:
    pkg = tmp_path / "twin"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "spec.py").write_text("from shared.apps import AppSpec\nSPEC = AppSpec(name='bot', label='Twin', "
                                 "cli='twin.cli:app', page='twin.app', default_port=8600)\nNOT_A_SPEC = 3\n")
    info = tmp_path / "twin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: twin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[verticals.apps]\ntwin = twin.spec:SPEC\n"
                                           "number = twin.spec:NOT_A_SPEC\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    reg = registered_apps()
    assert [a.name for a in reg.apps] == ["bot", "monitor", "rec"]
    errors = {f.name: f.error for f in reg.failures}
    assert "spec says name='bot'" in errors["twin"]
    assert "is a int, not an AppSpec" in errors["number"]


@pytest.mark.parametrize("change, words", [
    ({"name": "Bot"}, "app name 'Bot'"),
    ({"name": "a-b"}, "app name 'a-b'"),
    ({"label": " "}, "needs a label"),
    ({"cli": "zoo.cli"}, "cli='zoo.cli'"),
    ({"page": "zoo/app.py"}, "page='zoo/app.py'"),
    ({"default_port": 80}, "default_port=80"),
    ({"default_port": "8501"}, "default_port='8501'"),
    ({"prepare": "zoo.demo"}, "prepare='zoo.demo'"),
    ({"db_env": "zoo_db"}, "db_env='zoo_db'"),
    ({"db_file": "/etc/zoo.db"}, "db_file='/etc/zoo.db'"),
    ({"db_file": "../zoo.db"}, "db_file='../zoo.db'"),
    ({"services": (ServiceSpec("a", "A", ("zoo", "a")), ServiceSpec("a", "B", ("zoo", "b")))}, "repeat"),
])
def test_a_bad_spec_is_one_error_naming_the_value(change, words) -> None:
    with pytest.raises(AppSpecError) as err:
        AppSpec(**{**GOOD, **change})
    assert words in str(err.value)
    assert isinstance(err.value, ValueError)


def test_a_bad_service_is_refused() -> None:
    with pytest.raises(AppSpecError, match="command"):
        ServiceSpec("feeder", "Feeder", ())
    with pytest.raises(AppSpecError, match="service name 'Feed me'"):
        ServiceSpec("Feed me", "Feeder", ("zoo", "feed"))


def test_a_reference_that_does_not_load_names_the_app_and_the_reference() -> None:
    spec = AppSpec(**{**GOOD, "cli": "no_such_pkg.cli:app", "page": "no_such_pkg.app"})
    with pytest.raises(AppLoadError, match=r"app 'zoo': cli 'no_such_pkg.cli:app'.*ModuleNotFoundError"):
        spec.load_cli()
    with pytest.raises(AppLoadError, match="page 'no_such_pkg.app'"):
        spec.page_path()
    assert spec.load_prepare() is None and spec.load_api() is None


def test_every_field_has_help() -> None:
    helps = spec_help()
    assert {"name", "label", "cli", "page", "default_port", "prepare", "services", "api", "db_env", "db_file",
            "migrations"} <= set(helps)
    assert all(helps.values())
