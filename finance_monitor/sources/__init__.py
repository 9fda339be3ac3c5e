"""Source kinds: RSS/Atom over HTTP, a watched folder of JSONL/CSV files, and a dated-archive replay."""

from finance_monitor.sources.base import FetchResult, RawItem

KINDS = ("rss", "folder", "replay")

__all__ = ["KINDS", "FetchResult", "RawItem"]
