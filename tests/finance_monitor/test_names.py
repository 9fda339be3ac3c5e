"""Sources and sinks are named by the one name rule (shared/names.py)."""

from __future__ import annotations

import pytest

from finance_monitor import ingest, sinks
from finance_monitor.store import SinkRow, SourceRow
from shared.names import InvalidNameError
from tests.finance_monitor.conftest import T0


@pytest.mark.parametrize("name", ["../feeds", "news wire", "", "/etc/x"])
def test_bad_source_and_sink_names_are_refused_before_anything_is_written(store, name):
    with pytest.raises(InvalidNameError, match="source name"):
        ingest.add_source(store, name, "folder", "/tmp", now=T0)
    with pytest.raises(InvalidNameError, match="sink name"):
        sinks.add_sink(store, name, "log")
    with store.session() as s:
        assert s.query(SourceRow).count() == 0 and s.query(SinkRow).count() == 0
