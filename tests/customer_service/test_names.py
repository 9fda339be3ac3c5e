"""Workspace and document names follow the one name rule; exports never land outside their folder."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from customer_service.cli import app
from customer_service.store import Store
from shared.names import InvalidNameError


@pytest.mark.parametrize("name", ["../../../escaped", "/tmp/abs-workspace", "a/b", ".."])
def test_create_refuses_a_name_that_is_a_path(tmp_path, name):
    db = f"sqlite:///{tmp_path / 'bot.db'}"
    res = CliRunner().invoke(app, ["workspaces", "create", name, "--db", db])
    assert res.exit_code == 1, res.output
    assert f"Invalid workspace name {name!r}" in res.output and "Traceback" not in res.output
    assert Store(db).workspaces() == []


def test_export_of_a_legacy_bad_name_stays_inside_the_home(tmp_path, _home):
    """A workspace named before the rule existed (row written directly) is refused, not followed."""
    store = Store(f"sqlite:///{tmp_path / 'bot.db'}")
    store.create_workspace("fine", {})
    with store.session() as s:
        from customer_service.store import Workspace

        s.get(Workspace, store.workspace("fine").id).name = "../../../escaped"
    res = CliRunner().invoke(app, ["export-training-data", "../../../escaped", "--db", str(store.url)])
    assert res.exit_code == 1 and "Invalid workspace name" in res.output, res.output
    assert not (tmp_path / "escaped").exists() and not (_home.parent.parent / "escaped").exists()


def test_export_refuses_a_non_empty_out_folder_without_force(tmp_path):
    db = f"sqlite:///{tmp_path / 'bot.db'}"
    CliRunner().invoke(app, ["workspaces", "create", "acme", "--db", db])
    out = tmp_path / "mine"
    out.mkdir()
    (out / "qa_pairs.csv").write_text("my own file")
    res = CliRunner().invoke(app, ["export-training-data", "acme", "--out", str(out), "--db", db])
    assert res.exit_code == 1 and "not empty" in res.output, res.output
    assert (out / "qa_pairs.csv").read_text() == "my own file"
    res = CliRunner().invoke(app, ["export-training-data", "acme", "--out", str(out), "--db", db, "--force"])
    assert res.exit_code == 0, res.output
    assert (out / "qa_pairs.csv").read_text().startswith("question")


def test_document_names_follow_the_rule(tmp_path, encoder):
    from customer_service.workspace import Workspaces

    ws = Workspaces(Store(f"sqlite:///{tmp_path / 'bot.db'}"), encoder_loader=lambda name: encoder)
    ws.create("acme")
    kb = ws.knowledge("acme")
    with pytest.raises(InvalidNameError, match="document name"):
        kb.ingest_bytes("../../etc/passwd.md", b"# Hours\nWe open at nine.")
    assert ws.store.documents(ws.get("acme").id) == []
    assert kb.ingest_bytes("hours.md", b"# Hours\nWe open at nine.").status == "added"
