"""Entities in text: cashtags (`$AAPL`) and the companies of a user-maintained watch list.

Watch-list names and aliases match as whole words, case-insensitively, except aliases written in
capitals of up to 4 letters (`BP`, `IAG`), which match case-sensitively so "bp" in a URL or "iag" in
a word does not count. A cashtag of a watch-listed ticker maps to that company's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

CASHTAG = re.compile(r"(?<![\w$])\$([A-Z]{1,5}(?:\.[A-Z]{1,2})?)\b")


@dataclass(frozen=True)
class WatchEntry:
    name: str
    ticker: str | None = None
    aliases: tuple[str, ...] = field(default_factory=tuple)


class EntityMatcher:
    def __init__(self, watchlist: list[WatchEntry] | tuple[WatchEntry, ...] = ()) -> None:
        self.watchlist = list(watchlist)
        self._by_ticker = {w.ticker.upper().lstrip("$"): w.name for w in self.watchlist if w.ticker}
        self._patterns: list[tuple[re.Pattern[str], str]] = []
        for w in self.watchlist:
            for alias in {w.name, *w.aliases}:
                flags = 0 if (alias.isupper() and len(alias) <= 4) else re.IGNORECASE
                self._patterns.append((re.compile(rf"(?<!\w){re.escape(alias)}(?!\w)", flags), w.name))

    def find(self, text: str) -> list[str]:
        """Entity keys found in `text`, sorted: company names, or `$TICKER` for unlisted cashtags."""
        found: set[str] = set()
        for m in CASHTAG.finditer(text):
            ticker = m.group(1)
            found.add(self._by_ticker.get(ticker, f"${ticker}"))
        for pattern, name in self._patterns:
            if pattern.search(text):
                found.add(name)
        return sorted(found)
