"""The pipeline as one service object: fetch → score → aggregate → evaluate (+ deliver).

Collaborators are injected with embedded defaults: the store (SQLite under the home), the scorers
(the registry's current models, loaded on first use), the sinks (configured in the store), the HTTP
client. Every step takes `now`, so the replay and the tests drive time themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import delete

from finance_monitor import alerts as alerts_mod
from finance_monitor import ingest, mentions, queries, rule_store, rules, scoring, sinks, trends
from finance_monitor.entities import EntityMatcher
from finance_monitor.errors import ModelUnavailableError
from finance_monitor.settings import MonitorSettings
from finance_monitor.store import Store, TrendRow, insert_ignore
from shared.net import OutboundPolicy

log = logging.getLogger(__name__)

# How far back trends are rebuilt on each aggregate run: enough for the longest baseline we allow.
LOOKBACK = {"1h": timedelta(days=4), "1D": timedelta(days=60)}
WINDOW = pd.Timedelta(days=62)  # rules look back at most 60 buckets of a day (window <= 60 enforced)
MEMBER_COLUMNS = ["item_id", "published_at", "sentiment", "sentiment_label", "subject_type", "subject"]


@dataclass
class TickReport:
    fetched: list[ingest.IngestReport] = field(default_factory=list)
    scored: dict[str, int] = field(default_factory=dict)
    buckets: int = 0
    changes: dict[str, alerts_mod.AlertChanges] = field(default_factory=dict)
    delivery: sinks.DispatchReport | None = None


class Monitor:
    def __init__(self, store: Store | None = None, settings: MonitorSettings | None = None, *,
                 scorers: list[scoring.Scorer] | Callable[[Store], list[scoring.Scorer]] | None = None,
                 sinks_override: dict[str, sinks.AlertSink] | None = None,
                 outbound: OutboundPolicy | None = None,
                 extractor: mentions.MentionExtractor | None | str = "auto") -> None:
        self.settings = settings or MonitorSettings()
        self.store = store or Store(self.settings.db_url)
        self._scorers = scorers
        self._loaded: list[scoring.Scorer] | None = scorers if isinstance(scorers, list) else None
        self._loaded_fp = ""
        self.sinks_override = sinks_override
        self.outbound = outbound  # None: the suite's policy (settings outbound_allow), read per fetch
        self._members_cache: tuple[datetime, pd.DataFrame, int] | None = None
        self._incremental = False
        # "auto": the registry's NER model when one is registered (injected scorers imply none unless given)
        self._extractor_arg = None if (extractor == "auto" and isinstance(scorers, list)) else extractor
        self._extractor: mentions.MentionExtractor | None = \
            extractor if isinstance(extractor, mentions.MentionExtractor) else None

    # -- steps -------------------------------------------------------------------------------
    def fetch(self, now: datetime) -> list[ingest.IngestReport]:
        return ingest.fetch_due(self.store, now, self.settings.fetch, self.outbound)

    def scorers(self) -> list[scoring.Scorer]:
        """The scorers, reloaded when a model was promoted or a user topic edited since the last load."""
        if self._loaded is not None and not isinstance(self._scorers, list) and self._fingerprint() != self._loaded_fp:
            self._loaded = None
        if self._loaded is None:
            loader = self._scorers if callable(self._scorers) else \
                (lambda st: scoring.load_scorers(st, self.settings.models))
            self._loaded_fp = self._fingerprint()
            self._loaded = loader(self.store)
        return self._loaded

    def _fingerprint(self) -> str:
        """User topics and the models' current versions. A registry that cannot be read is an error: hiding
        it would freeze the fingerprint, and a promoted model would never reach the scores. A model not
        registered yet is left out here; loading it says so."""
        from shared.errors import RegistryError
        from shared.registry import Registry

        topics = scoring.custom_topics(self.store)
        names = (self.settings.models.sentiment_model, self.settings.models.topic_model)
        try:
            reg = Registry()
            registered = set(reg.names())
            versions = [reg.current_version(n) for n in names if n in registered]
        except (RegistryError, OSError, ValueError) as exc:
            raise ModelUnavailableError(
                f"Cannot read the current versions of {', '.join(names)} from the model registry ({exc}). "
                "Check it with `verticals models list` and promote a version with "
                "`verticals models promote NAME VERSION`."
            ) from exc
        from finance_monitor.sentiment_blend import load_blend

        sentiment = self.settings.models.sentiment_model
        blend = load_blend(sentiment, versions[0]) if sentiment in registered else None
        return repr((sorted(topics.items()), versions, blend))  # a blend fitted later re-scores too

    def extractor(self) -> mentions.MentionExtractor | None:
        """The NER mention extractor: injected, or the registry's current `ner_model` (reloaded after a
        promotion), or None when no NER model is registered (the watch list still works alone)."""
        if self._extractor_arg != "auto":
            return self._extractor
        name = self.settings.models.ner_model
        from shared.registry import Registry

        reg = Registry()
        if name not in reg.names():
            return None
        if self._extractor is None or self._extractor.version != reg.current_version(name):
            self._extractor = mentions.load_extractor(name, self.settings.models.batch_size)
        return self._extractor

    def reload_scorers(self) -> None:
        """After a model promotion or a user-topic edit: the next score() uses the new versions."""
        if not isinstance(self._scorers, list):
            self._loaded = None

    def score(self, now: datetime) -> dict[str, int]:
        done = scoring.score_all_pending(self.store, self.scorers(), now, extractor=self.extractor())
        if not self._incremental:
            self._members_cache = None
        done["entities"] = scoring.tag_entities(self.store, EntityMatcher(scoring.watchlist(self.store)))
        return done

    def _members(self, now: datetime) -> pd.DataFrame:
        """Subject memberships of scored items in the last WINDOW before `now`.

        One query per `now`, shared by aggregate and evaluate. While a backfill moves `now` forward,
        only items newer than the cached ones are read and appended (scores of old items do not change
        mid-backfill); otherwise `score()` invalidates the cache.
        """
        since = pd.Timestamp(now).floor("1D") - WINDOW
        cached = self._members_cache
        if cached is not None and cached[0] == now:
            return cached[1]
        if cached is not None and self._incremental and cached[0] < now:
            new = queries.scored_frame(self.store, until=now, after_id=cached[2])
            members = pd.concat([cached[1], trends.memberships(new)], ignore_index=True) if not new.empty \
                else cached[1]
            members = members.assign(published_at=pd.to_datetime(members["published_at"], utc=True))
            members = members[members["published_at"] >= since]
            last_id = max(cached[2], int(new["item_id"].max())) if not new.empty else cached[2]
        else:
            frame = queries.scored_frame(self.store, since=since.to_pydatetime(), until=now)
            members = trends.memberships(frame) if not frame.empty else pd.DataFrame(columns=MEMBER_COLUMNS)
            last_id = int(frame["item_id"].max()) if not frame.empty else 0
        self._members_cache = (now, members, last_id)
        return members

    def aggregate(self, now: datetime, since: datetime | None = None) -> int:
        """Rebuild the trend buckets (hourly and daily) the dashboard reads.

        By default only the recent LOOKBACK is rebuilt (cheap, every few minutes); `since` rebuilds
        everything from that time (after a backfill or a re-score).
        """
        written = 0
        if since is None:
            all_members = self._members(now)
        else:
            frame = queries.scored_frame(self.store, since=since, until=now)
            all_members = trends.memberships(frame) if not frame.empty else pd.DataFrame(columns=MEMBER_COLUMNS)
        for freq, lookback in LOOKBACK.items():
            start = since or now - lookback
            since_f = pd.Timestamp(start).floor(freq).to_pydatetime()
            members = all_members[all_members["published_at"] >= pd.Timestamp(since_f)]
            table = trends.bucketize(members, freq, now, start=since_f) if not members.empty else pd.DataFrame()
            records = [] if table.empty else [
                {"freq": freq, "subject_type": r.subject_type, "subject": r.subject,
                 "bucket_start": r.bucket_start.to_pydatetime(), "volume": int(r.volume),
                 "mean_sentiment": None if pd.isna(r.mean_sentiment) else float(r.mean_sentiment),
                 "neg_share": None if pd.isna(r.neg_share) else float(r.neg_share)}
                for r in table.itertuples() if r.volume > 0]
            with self.store.session() as s:  # replace the window atomically: readers never see it half-built
                s.execute(delete(TrendRow).where(TrendRow.freq == freq, TrendRow.bucket_start >= since_f))
                if records:
                    s.execute(insert_ignore(self.store, TrendRow.__table__), records)
            written += len(records)
        return written

    def evaluate(self, now: datetime) -> dict[str, alerts_mod.AlertChanges]:
        changes: dict[str, alerts_mod.AlertChanges] = {}
        members = self._members(now)
        cache: dict[str, pd.DataFrame] = {}
        for rule, _ in rule_store.list_rules(self.store, enabled_only=True):
            if rule.freq not in cache:
                cache[rule.freq] = trends.bucketize(members, rule.freq, now) if not members.empty else \
                    pd.DataFrame(columns=trends.TREND_COLUMNS)
            table = cache[rule.freq]
            evaluations = rules.evaluate(rule, table, now)

            def items_for(ev: rules.Evaluation, _m: pd.DataFrame = members, _f: str = rule.freq) -> list[int]:
                return trends.bucket_items(_m, _f, ev.subject_type, ev.subject, ev.bucket_start)

            changes[rule.name] = alerts_mod.apply_evaluations(self.store, rule, evaluations, now, items_for)
        return changes

    def deliver(self, now: datetime) -> sinks.DispatchReport:
        return sinks.dispatch_pending(self.store, now, self.sinks_override)

    def tick(self, now: datetime, *, fetch: bool = True, aggregate: bool = True) -> TickReport:
        report = TickReport()
        if fetch:
            report.fetched = self.fetch(now)
        report.scored = self.score(now)
        if aggregate:
            report.buckets = self.aggregate(now)
        report.changes = self.evaluate(now)
        report.delivery = self.deliver(now)
        return report

    # -- back-tests ------------------------------------------------------------------------------
    def backfill(self, source: str, start: datetime, end: datetime, step: timedelta = timedelta(days=1),
                 progress: Callable[[datetime, TickReport], Any] | None = None) -> list[TickReport]:
        """Drive a replay source's clock from `start` to `end`, running the whole pipeline each step.

        Other source kinds are fetched once at `end` (their items carry their own dates). Rules are
        evaluated at every step (alerts fire when they would have); the dashboard's trend table is
        rebuilt once at the end.
        """
        src = ingest.get_source(self.store, source)
        reports = []
        if src.kind != "replay":
            ingest.fetch_source(self.store, source, end, self.settings.fetch, self.outbound)
            reports.append(self.tick(end, fetch=False, aggregate=False))
            self.aggregate(end, since=start)
            return reports
        now = start
        self._incremental, self._members_cache = True, None
        try:
            while now <= end:
                ingest.fetch_source(self.store, source, now, self.settings.fetch, self.outbound)
                rep = self.tick(now, fetch=False, aggregate=False)
                reports.append(rep)
                if progress:
                    progress(now, rep)
                now += step
        finally:
            self._incremental, self._members_cache = False, None
        self.aggregate(end, since=start - LOOKBACK["1D"])
        return reports


def utcnow() -> datetime:
    from datetime import timezone

    return datetime.now(timezone.utc)


def ensure_defaults(store: Store, now: datetime) -> None:
    rule_store.ensure_default_rules(store, now)
