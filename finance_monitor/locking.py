"""A lease in the store that only one scheduler may hold (a second start fails fast and says who holds it).

The holder refreshes a heartbeat; a lease whose heartbeat is older than the TTL is stale (its process
died) and may be taken over. Works on any database SQLAlchemy speaks, so it also guards PostgreSQL.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from finance_monitor.errors import SchedulerLockedError
from finance_monitor.store import LockRow, Store


class StoreLock:
    def __init__(self, store: Store, name: str = "scheduler", ttl_s: int = 90, holder: str | None = None) -> None:
        self.store, self.name, self.ttl = store, name, timedelta(seconds=ttl_s)
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def acquire(self, now: datetime) -> None:
        try:
            with self.store.session() as s:
                row = s.get(LockRow, self.name, with_for_update=True)
                if row is None:
                    s.add(LockRow(name=self.name, holder=self.holder, acquired_at=now, heartbeat_at=now))
                elif row.holder != self.holder and now - row.heartbeat_at < self.ttl:
                    raise SchedulerLockedError(
                        f"another scheduler ({row.holder}) already runs against {self.store.masked_url} "
                        f"(since {row.acquired_at:%Y-%m-%d %H:%M:%S} UTC, last heartbeat "
                        f"{row.heartbeat_at:%H:%M:%S}); stop it first, or wait {self.ttl.seconds}s if it died"
                    )
                else:  # ours already, or stale: take it over
                    row.holder, row.acquired_at, row.heartbeat_at = self.holder, now, now
        except IntegrityError as exc:  # two starts raced to insert the row: the other one won
            raise SchedulerLockedError(f"another scheduler took the lock on {self.store.masked_url} at the same moment") from exc

    def heartbeat(self, now: datetime) -> bool:
        """Refresh the lease; False if it was lost (taken over after we stalled past the TTL)."""
        with self.store.session() as s:
            row = s.get(LockRow, self.name)
            if row is None or row.holder != self.holder:
                return False
            row.heartbeat_at = now
            return True

    def release(self) -> None:
        with self.store.session() as s:
            s.execute(delete(LockRow).where(LockRow.name == self.name, LockRow.holder == self.holder))

    def held_by(self) -> tuple[str, datetime] | None:
        with self.store.session() as s:
            row = s.get(LockRow, self.name)
            return None if row is None else (row.holder, row.heartbeat_at)
