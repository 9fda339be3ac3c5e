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
from shared.errors import OutboundError
from shared.net import OutboundPolicy, default_policy, redact_url, request


def fetch_rss(url: str, state: dict[str, Any], settings: FetchSettings,
              policy: OutboundPolicy | None = None) -> FetchResult:
    """One conditional GET through the fenced client (shared/net.py): `settings.timeout_s` is the total
    deadline, `settings.max_bytes` the body cap, and only `settings.max_items` entries are kept."""
    headers = {"User-Agent": settings.user_agent}
    if state.get("etag"):
        headers["If-None-Match"] = state["etag"]
    if state.get("last_modified"):
        headers["If-Modified-Since"] = state["last_modified"]
    policy = (policy or default_policy()).replace(deadline_s=settings.timeout_s, max_bytes=settings.max_bytes)
    shown = redact_url(url)
    try:
        resp = request("GET", url, headers=headers, policy=policy)
    except OutboundError as exc:
        raise FetchError(f"feed {shown}: {exc}".replace(url, shown)) from None
    except httpx.TimeoutException as exc:
        raise FetchError(f"feed {shown} timed out after {settings.timeout_s:g}s ({type(exc).__name__})") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"feed {shown} could not be fetched: {exc}".replace(url, shown)) from None
    if resp.status_code == 304:
        return FetchResult(not_modified=True)
    if resp.status_code >= 400:
        raise FetchError(f"feed {shown} answered HTTP {resp.status_code}")
    new_state = {"etag": resp.headers.get("ETag"), "last_modified": resp.headers.get("Last-Modified")}
    items = parse_feed(resp.content, shown)
    problems = []
    if len(items) > settings.max_items:
        problems.append(f"the feed had {len(items)} items: kept the first {settings.max_items} (item cap)")
        items = items[: settings.max_items]
    return FetchResult(items=items, state=new_state, problems=problems)


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
