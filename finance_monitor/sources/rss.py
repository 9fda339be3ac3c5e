"""RSS/Atom over HTTP: httpx fetches (timeouts, conditional GET), feedparser parses.

feedparser copes with most broken feeds (bozo) and sniffs encodings; we only give up when the body
yields no entries at all and is not a feed. Non-UTF-8 bytes in a feed declared UTF-8 are decoded with
replacement characters rather than dropping the whole feed.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timezone
from typing import Any

import feedparser
import httpx

from finance_monitor.errors import FetchError
from finance_monitor.settings import FetchSettings
from finance_monitor.sources.base import FetchResult, RawItem


def fetch_rss(url: str, state: dict[str, Any], settings: FetchSettings,
              client: httpx.Client | None = None) -> FetchResult:
    headers = {"User-Agent": settings.user_agent}
    if state.get("etag"):
        headers["If-None-Match"] = state["etag"]
    if state.get("last_modified"):
        headers["If-Modified-Since"] = state["last_modified"]
    own = client is None
    client = client or httpx.Client(timeout=httpx.Timeout(settings.timeout_s), follow_redirects=True)
    try:
        resp = client.get(url, headers=headers, timeout=settings.timeout_s)
    except httpx.TimeoutException as exc:
        raise FetchError(f"feed {url} timed out after {settings.timeout_s:g}s ({type(exc).__name__})") from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"feed {url} could not be fetched: {exc}") from exc
    finally:
        if own:
            client.close()
    if resp.status_code == 304:
        return FetchResult(not_modified=True)
    if resp.status_code >= 400:
        raise FetchError(f"feed {url} answered HTTP {resp.status_code}")
    new_state = {"etag": resp.headers.get("ETag"), "last_modified": resp.headers.get("Last-Modified")}
    return FetchResult(items=parse_feed(resp.content, url), state=new_state)


def parse_feed(content: bytes, url: str = "<feed>") -> list[RawItem]:
    parsed = feedparser.parse(content)
    if not parsed.entries and _looks_broken(parsed):
        # Retry once on a forcibly decoded copy: a stray non-UTF-8 byte should not cost the whole feed.
        parsed = feedparser.parse(content.decode("utf-8", errors="replace"))
    if not parsed.entries and _looks_broken(parsed):
        reason = getattr(parsed, "bozo_exception", "no <item>/<entry> elements")
        raise FetchError(f"feed {url} is not a readable RSS/Atom document: {reason}")
    items = []
    for entry in parsed.entries:
        title = _clean(entry.get("title", ""))
        body = _clean(entry.get("summary", "") or entry.get("description", ""))
        if not title and not body:
            continue
        items.append(RawItem(title=title, body=body, url=entry.get("link") or None,
                             published_at=_entry_date(entry)))
    return items


def _looks_broken(parsed: Any) -> bool:
    return bool(parsed.get("bozo")) or not parsed.get("version")


def _entry_date(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        st = entry.get(key)
        if st:
            # feedparser normalises to a UTC struct_time; timegm keeps it in UTC.
            return datetime.fromtimestamp(calendar.timegm(st), tz=timezone.utc)
    return None


def _clean(text: str) -> str:
    import re

    text = re.sub(r"<[^>]+>", " ", text or "")
    return re.sub(r"\s+", " ", text).strip()
