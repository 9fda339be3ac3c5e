"""The monitor reloads its scorers when a model is promoted, and says so when the registry cannot be read
(it used to swallow registry errors, which froze the loaded models: promotions never reached the scores)."""

from __future__ import annotations

import pytest


def _register(name: str, promote: bool = True) -> str:
    from shared.card import ModelCard
    from shared.registry import Registry

    reg = Registry()  # under the test's VERTICALS_HOME, where the monitor looks
    with reg.staging(name) as staged:
        (staged / "weights.txt").write_text("a stand-in folder: the loader below never reads it")
        return reg.add(name, staged, ModelCard(name, "classification", "minilm", "head"), promote=promote)


@pytest.fixture
def counting_monitor(store):
    from finance_monitor.monitor import Monitor

    loads: list[int] = []

    def loader(st):
        loads.append(1)
        return []

    return Monitor(store, scorers=loader), loads


def test_a_promotion_reloads_the_scorers(counting_monitor):
    from shared.registry import Registry

    monitor, loads = counting_monitor
    _register("fin-sentiment")
    monitor.scorers()
    monitor.scorers()
    assert len(loads) == 1  # nothing changed: loaded once
    v2 = _register("fin-sentiment")
    monitor.scorers()
    assert len(loads) == 2 and v2 == "v0002"
    Registry().rollback("fin-sentiment")
    monitor.scorers()
    assert len(loads) == 3


def test_an_unreadable_registry_is_an_error_naming_the_models(counting_monitor):
    from finance_monitor.errors import ModelUnavailableError
    from shared.paths import verticals_home

    monitor, loads = counting_monitor
    _register("fin-topic")
    (verticals_home() / "registry" / "fin-topic" / "index.json").write_text("{not json")
    with pytest.raises(ModelUnavailableError, match=r"fin-sentiment, fin-topic from the model registry.*"
                                                    r"verticals models list"):
        monitor.scorers()
    assert loads == []


def test_a_registered_model_without_a_current_version_is_an_error(counting_monitor):
    from finance_monitor.errors import ModelUnavailableError

    monitor, loads = counting_monitor
    _register("fin-sentiment", promote=False)
    with pytest.raises(ModelUnavailableError, match="no current version.*verticals models promote"):
        monitor.scorers()
    assert loads == []
