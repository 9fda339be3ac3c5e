"""The suite's own database (users, API keys, the core's audit trail): its models hang on `SuiteBase`.

At `$VERTICALS_SUITE_DB` or `$VERTICALS_HOME/suite.db` (see `shared.db.urls.suite_url`). Tables added
here need a revision under `shared/db/suite_migrations/versions` (`verticals db revision suite -m ...`).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import DeclarativeBase

from shared.db.migrations import Chain
from shared.db.urls import SUITE_ENV, SUITE_FILE


class SuiteBase(DeclarativeBase):
    pass


CHAIN = Chain("suite", SuiteBase.metadata, str(Path(__file__).with_name("suite_migrations")), env_var=SUITE_ENV,
              db_file=SUITE_FILE)
