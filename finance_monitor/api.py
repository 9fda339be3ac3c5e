"""HTTP routes of the monitor: open alerts, one alert with its items, acknowledge/resolve (scope
`monitor.write`, recorded under the key's name), and items and trends per topic or entity for a window
(scope `monitor.read`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from functools import lru_cache
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam
from pydantic import BaseModel

from finance_monitor import alerts as alert_service
from finance_monitor import queries
from finance_monitor.store import Store
from shared.http.access import requires
from shared.http.keys import KeyIdentity

router = APIRouter(prefix="/v1/monitor", tags=["monitor"])
AlertId = Annotated[int, PathParam(ge=1, le=2**62)]
Status = Literal["open", "acknowledged", "resolved"]


@lru_cache(maxsize=1)
def get_store() -> Store:
    """The monitor's database (`VERTICALS_MONITOR_DB` or the home's SQLite file)."""
    return Store()


def ready(get: Callable[[Callable[[], Any]], Any]) -> str:
    counts = queries.counts(get(get_store))
    return f"{counts['items']} items, {counts['open_alerts']} open alert(s)"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Alert(BaseModel):
    id: int
    severity: str
    status: str
    rule: str
    subject_type: str
    subject: str
    message: str
    first_fired_at: datetime
    last_fired_at: datetime
    bucket_start: datetime
    fire_count: int
    acked_by: str | None
    resolved_at: datetime | None


class Item(BaseModel):
    item_id: int
    published_at: datetime
    title: str
    sentiment: float | None
    sentiment_label: str | None
    topic: str | None
    custom_topic: str | None
    entities: list[str]


class AlertWithItems(Alert):
    items: list[Item]


class TrendPoint(BaseModel):
    subject_type: str
    subject: str
    bucket_start: datetime
    volume: int
    mean_sentiment: float | None
    neg_share: float | None


def _clean(record: dict[str, Any]) -> dict[str, Any]:
    """A frame row as plain JSON-able values (NaN/NaT → None, Timestamps → datetimes)."""
    out = {}
    for k, v in record.items():
        if isinstance(v, pd.Timestamp):
            v = v.to_pydatetime()
        elif not isinstance(v, (list, tuple, dict)) and pd.isna(v):
            v = None
        out[k] = v
    return out


def _alert(record: dict[str, Any]) -> Alert:
    return Alert(**{k: v for k, v in _clean(record).items() if k in Alert.model_fields})


def _items(frame: pd.DataFrame) -> list[Item]:
    return [Item(**{k: v for k, v in _clean(r).items() if k in Item.model_fields}) for r in frame.to_dict("records")]


@router.get("/alerts", response_model=list[Alert], summary="Alerts by status (default: open and acknowledged)")
def list_alerts(status: Annotated[list[Status] | None, Query()] = None, store: Store = Depends(get_store),
                who: KeyIdentity = Depends(requires("monitor.read"))) -> list[Alert]:
    frame = queries.alerts(store, tuple(status) if status else ("open", "acknowledged"))
    return [_alert(r) for r in frame.to_dict("records")]


@router.get("/alerts/{alert_id}", response_model=AlertWithItems, summary="One alert with the items behind it")
def get_alert(alert_id: AlertId, store: Store = Depends(get_store),
              who: KeyIdentity = Depends(requires("monitor.read"))) -> AlertWithItems:
    record = queries.alert(store, alert_id)
    return AlertWithItems(**_alert(record).model_dump(), items=_items(queries.alert_items(store, alert_id)))


@router.post("/alerts/{alert_id}/ack", response_model=Alert, summary="Acknowledge an alert")
def acknowledge(alert_id: AlertId, store: Store = Depends(get_store),
                who: KeyIdentity = Depends(requires("monitor.ack"))) -> Alert:
    alert_service.acknowledge(store, alert_id, None, utcnow(), actor=who)
    return _alert(queries.alert(store, alert_id))


@router.post("/alerts/{alert_id}/resolve", response_model=Alert, summary="Resolve an alert")
def resolve(alert_id: AlertId, store: Store = Depends(get_store),
            who: KeyIdentity = Depends(requires("monitor.ack"))) -> Alert:
    alert_service.resolve(store, alert_id, None, utcnow(), actor=who)
    return _alert(queries.alert(store, alert_id))


Subject = Annotated[str, Query(min_length=1, max_length=200, description="A topic or an entity (e.g. $AAPL).")]
Window = Annotated[datetime | None, Query(description="ISO 8601; naive times are UTC.")]


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


@router.get("/items", response_model=list[Item], summary="Scored items of a topic or entity in a window")
def items(subject: Subject, subject_type: Literal["topic", "entity"] = "topic", since: Window = None,
          until: Window = None, limit: Annotated[int, Query(ge=1, le=1000)] = 100, store: Store = Depends(get_store),
          who: KeyIdentity = Depends(requires("monitor.read"))) -> list[Item]:
    return _items(queries.subject_items(store, subject_type, subject, _utc(since), _utc(until), limit))


@router.get("/trends", response_model=list[TrendPoint], summary="Volume and sentiment per bucket of a topic or entity")
def trends(subject: Subject, subject_type: Literal["topic", "entity"] = "topic",
           freq: Literal["1h", "1D"] = "1D", since: Window = None, until: Window = None,
           store: Store = Depends(get_store), who: KeyIdentity = Depends(requires("monitor.read"))) -> list[TrendPoint]:
    frame = queries.trends(store, freq, subject_type, [subject], _utc(since), _utc(until))
    return [TrendPoint(**_clean(r)) for r in frame.to_dict("records")]
