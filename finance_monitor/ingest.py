"""Turning fetched raw items into stored items, exactly once, and keeping each source's health.

An item is the same item when its canonical URL or its content hash matches one already stored.
Items and the source's new state (ETag, replay cursor, seen files) are written in ONE transaction:
a process killed mid-ingestion leaves either all of a fetch or none of it, and the re-run adds only
what is missing.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from sqlalchemy import func, select

from finance_monitor.errors import FetchError, NotFoundError, SourceConfigError
from finance_monitor.settings import FetchSettings
from finance_monitor.sources import KINDS
from finance_monitor.sources.base import FetchResult, RawItem
from finance_monitor.store import ItemRow, SourceRow, Store, insert_ignore, record_audit
from shared.auth import Identity, require
from shared.names import check_name

log = logging.getLogger(__name__)

TRACKING_PARAMS = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ref|cmpid)$", re.IGNORECASE)


def canonical_url(url: str | None) -> str | None:
    """Scheme/host lower-cased, default port, fragment and tracking parameters dropped, query sorted."""
    if not url or not url.strip():
        return None
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.netloc:
        return url.strip()
    host = parts.hostname.lower() if parts.hostname else ""
    port = parts.port
    if port and not ((parts.scheme == "http" and port == 80) or (parts.scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                             if not TRACKING_PARAMS.match(k)))
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), host, path, query, ""))


def content_hash(title: str, body: str) -> str:
    """Same words, same hash: case, Unicode form and whitespace do not make a new item."""
    norm = unicodedata.normalize("NFKC", f"{title}\n{body}").casefold()
    norm = re.sub(r"\s+", " ", norm).strip()
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IngestReport:
    source: str
    fetched: int
    added: int
    skipped_duplicates: int
    not_modified: bool = False
    error: str | None = None
    problems: tuple[str, ...] = ()


def add_source(store: Store, name: str, kind: str, location: str, *, interval_s: int = 300,
               options: dict[str, Any] | None = None, now: datetime, actor: Identity | None = None) -> SourceRow:
    require(actor, "monitor.admin")
    if kind not in KINDS:
        raise SourceConfigError(f"unknown source kind {kind!r}; use one of {', '.join(KINDS)}")
    check_name(name, "source")
    if kind == "rss" and urlsplit(location).scheme not in ("http", "https"):
        raise SourceConfigError(f"an rss source needs an http(s) URL, got {location!r}")
    if interval_s <= 0:
        raise SourceConfigError(f"interval_s must be > 0, got {interval_s!r}")
    with store.session() as s:
        if s.scalar(select(SourceRow).where(SourceRow.name == name)):
            raise SourceConfigError(f"a source named {name!r} already exists; remove it first or pick another name")
        row = SourceRow(name=name, kind=kind, location=location, interval_s=interval_s, options=options or {},
                        state={}, created_at=now, paused=False, failures=0, items_total=0)
        s.add(row)
        record_audit(s, actor, "source.add", f"source {name}", None,
                     {"kind": kind, "location": location, "interval_s": interval_s}, now=now)
    return row


def get_source(store: Store, name: str) -> SourceRow:
    with store.session() as s:
        row = s.scalar(select(SourceRow).where(SourceRow.name == name))
        if row is None:
            names = s.scalars(select(SourceRow.name)).all()
            raise NotFoundError(f"no source named {name!r}; known sources: {', '.join(names) or 'none'}")
        return row


def set_paused(store: Store, name: str, paused: bool, *, actor: Identity | None = None,
               now: datetime | None = None) -> None:
    require(actor, "monitor.admin")
    get_source(store, name)
    with store.session() as s:
        row = s.scalar(select(SourceRow).where(SourceRow.name == name))
        before = row.paused
        row.paused = paused
        record_audit(s, actor, "source.pause" if paused else "source.resume", f"source {name}",
                     {"paused": before}, {"paused": paused}, now=now)


def remove_source(store: Store, name: str, *, actor: Identity | None = None, now: datetime | None = None) -> None:
    """Drops the source; its items stay (they may back alerts) with no source attached."""
    require(actor, "monitor.admin")
    get_source(store, name)
    with store.session() as s:
        row = s.scalar(select(SourceRow).where(SourceRow.name == name))
        record_audit(s, actor, "source.remove", f"source {name}",
                     {"kind": row.kind, "location": row.location, "interval_s": row.interval_s}, None, now=now)
        s.delete(row)


def ingest_items(store: Store, source_id: int | None, items: list[RawItem], now: datetime,
                 new_state: dict[str, Any] | None = None) -> int:
    """Insert new items (and the source's new state) in one transaction; returns how many were new."""
    rows = []
    seen_hashes: set[str] = set()
    seen_urls: set[str] = set()
    for it in items:
        url = canonical_url(it.url)
        digest = content_hash(it.title, it.body)
        if digest in seen_hashes or (url and url in seen_urls):
            continue  # duplicates inside one fetch
        seen_hashes.add(digest)
        if url:
            seen_urls.add(url)
        rows.append({"source_id": source_id, "url": url, "content_hash": digest, "title": it.title,
                     "body": it.body, "published_at": it.published_at or now,
                     "date_missing": it.published_at is None, "fetched_at": now})
    with store.session() as s:
        before = s.scalar(select(func.count(ItemRow.id))) or 0
        if rows:
            # ON CONFLICT DO NOTHING covers both unique keys (url, content_hash) at once.
            s.execute(insert_ignore(store, ItemRow.__table__), rows)
        added = (s.scalar(select(func.count(ItemRow.id))) or 0) - before
        if source_id is not None:
            src = s.get(SourceRow, source_id)
            if new_state is not None:
                src.state = {**(src.state or {}), **{k: v for k, v in new_state.items()}}
            src.items_total = (src.items_total or 0) + added
    return added


def backoff_delay(failures: int, settings: FetchSettings) -> timedelta:
    return timedelta(seconds=min(settings.backoff_base_s * 2 ** max(failures - 1, 0), settings.backoff_max_s))


def fetch_raw(src: SourceRow, now: datetime, settings: FetchSettings, client: httpx.Client | None) -> FetchResult:
    if src.kind == "rss":
        from finance_monitor.sources.rss import fetch_rss

        return fetch_rss(src.location, src.state or {}, settings, client)
    if src.kind == "folder":
        from finance_monitor.sources.folder import fetch_folder

        return fetch_folder(src.location, src.state or {})
    if src.kind == "replay":
        from finance_monitor.sources.replay import fetch_replay

        return fetch_replay(src.location, src.options or {}, src.state or {}, now)
    raise SourceConfigError(f"source {src.name!r} has unknown kind {src.kind!r}")


def fetch_source(store: Store, name: str, now: datetime, settings: FetchSettings | None = None,
                 client: httpx.Client | None = None) -> IngestReport:
    """Fetch one source now (paused or not), ingest, and record health and back-off."""
    settings = settings or FetchSettings()
    src = get_source(store, name)
    try:
        result = fetch_raw(src, now, settings, client)
    except (FetchError, SourceConfigError) as exc:
        with store.session() as s:
            row = s.get(SourceRow, src.id)
            row.failures = (row.failures or 0) + 1
            row.last_fetch_at = now
            row.last_error = str(exc)
            row.next_fetch_at = now + backoff_delay(row.failures, settings)
        log.warning("source %s failed (%d in a row): %s", name, src.failures + 1, exc)
        return IngestReport(name, 0, 0, 0, error=str(exc))
    added = 0 if result.not_modified else ingest_items(store, src.id, result.items, now, result.state)
    with store.session() as s:
        row = s.get(SourceRow, src.id)
        row.failures = 0
        row.last_fetch_at = row.last_ok_at = now
        row.last_error = "; ".join(result.problems) or None
        row.next_fetch_at = now + timedelta(seconds=row.interval_s)
    return IngestReport(name, len(result.items), added, len(result.items) - added, result.not_modified,
                        problems=tuple(result.problems))


def due_sources(store: Store, now: datetime) -> list[str]:
    with store.session() as s:
        rows = s.scalars(select(SourceRow).where(SourceRow.paused.is_(False)).order_by(SourceRow.id)).all()
        return [r.name for r in rows if r.next_fetch_at is None or r.next_fetch_at <= now]


def fetch_due(store: Store, now: datetime, settings: FetchSettings | None = None,
              client: httpx.Client | None = None) -> list[IngestReport]:
    return [fetch_source(store, name, now, settings, client) for name in due_sources(store, now)]
