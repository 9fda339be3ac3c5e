"""`--name` is an artifact name under $VERTICALS_HOME/recommender/, never a path; save never deletes a stranger's folder."""

from __future__ import annotations

import json
import pickle

import pytest
from typer.testing import CliRunner

from recommender.cli import app


class _Boom:
    def __reduce__(self):
        import pathlib

        return (pathlib.Path.write_text, (pathlib.Path(MARKER[0]), "ran"))


MARKER: list[str] = []


def test_recommend_name_cannot_point_at_a_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("VERTICALS_HOME", str(tmp_path / "home"))
    planted = tmp_path / "planted"
    planted.mkdir()
    (planted / "meta.json").write_text(json.dumps({"version": 2, "history_len": 5, "candidates": {}}))
    MARKER[:] = [str(tmp_path / "code-ran")]
    (planted / "signals.pkl").write_bytes(pickle.dumps(_Boom()))
    res = CliRunner().invoke(app, ["recommend", "--user", "u0", "--name", str(planted)])
    assert res.exit_code == 1, res.output
    assert "Invalid recommender artifact name" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "code-ran").exists()


def test_save_never_replaces_a_folder_that_is_not_an_artifact(tmp_path):
    from recommender.errors import RecDataError
    from recommender.service import Recommender

    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "holiday.jpg").write_bytes(b"jpeg")
    rec = Recommender.__new__(Recommender)  # save() must refuse before it touches any field
    with pytest.raises(RecDataError, match="not a saved recommender"):
        rec.save(folder)
    assert (folder / "holiday.jpg").read_bytes() == b"jpeg"


@pytest.mark.parametrize("name", ["../x", "/abs", "a b"])
def test_saved_configuration_names_follow_the_rule(tmp_path, name):
    from recommender.config import RecConfig
    from recommender.config_store import ConfigStore
    from shared.names import InvalidNameError

    store = ConfigStore(tmp_path / "configs.sqlite")
    with pytest.raises(InvalidNameError, match="configuration name"):
        store.save(name, RecConfig())
    assert store.names() == []
