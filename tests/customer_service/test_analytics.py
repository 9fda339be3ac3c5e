"""Analytics over hand-built proposal frames."""

from __future__ import annotations

import pandas as pd
import pytest

from customer_service import analytics as an


def _frame() -> pd.DataFrame:
    rows = [
        (1, 1, "template", "card_arrival", 0.9, 10.0, False, True, 1, "Where is my card?", None),
        (2, 1, "template", "card_arrival", 0.8, 20.0, True, True, None, "card?", None),
        (3, 2, "retrieval", None, 0.7, 30.0, False, True, -1, "Permit time?", None),
        (4, 3, "handoff", None, 0.1, 40.0, False, False, None, "Pizza?", None),
        (5, 4, "handoff", None, 0.2, 100.0, False, False, None, "pizza", None),
    ]
    return pd.DataFrame(rows, columns=an.PROPOSAL_COLUMNS)


def test_route_rates():
    assert an.route_rates(_frame()) == pytest.approx({"template": 0.4, "retrieval": 0.2, "handoff": 0.4})
    assert an.route_rates(_frame().iloc[:0]) == {"template": 0.0, "retrieval": 0.0, "handoff": 0.0}


def test_top_intents_and_unanswered():
    assert an.top_intents(_frame()).to_dict("records") == [{"intent": "card_arrival", "count": 2}]
    top = an.top_unanswered(_frame())
    assert top.to_dict("records") == [{"question": "Pizza?", "count": 2}]


def test_latency_and_agent_actions():
    lat = an.latency_summary(_frame())
    assert lat["p50_ms"] == pytest.approx(30.0) and lat["p95_ms"] == pytest.approx(88.0) and lat["n"] == 5
    assert an.agent_actions(_frame()) == {"sent": 3, "sent_unchanged": 2, "edited": 1, "thumbs_up": 1, "thumbs_down": 1}
