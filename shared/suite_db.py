"""The suite's own database and its migrations: accounts (shared/auth/users.py), API keys and channel
tokens (shared/http/keys.py) and the core's audit trail (shared/audit.py).

It lives at `suite_url()` (`$VERTICALS_SUITE_DB`, else `$VERTICALS_HOME/suite.db`); its revisions are
under shared/db/suite_migrations. A table added to one of those modules needs a revision:
`verticals db revision suite -m "..."`.
"""

from __future__ import annotations

from pathlib import Path

from shared import audit
from shared.auth.users import Base as UsersBase
from shared.db import Chain
from shared.db.urls import SUITE_ENV, SUITE_FILE
from shared.http.keys import metadata as keys_metadata

# A suite database made before migrations holds any subset of the tables (whichever of users and keys was
# used): it is adopted at the first revision, and each later one creates only what is missing.
CHAIN = Chain("suite", (UsersBase.metadata, audit.metadata, keys_metadata),
              str(Path(__file__).with_name("db") / "suite_migrations"), env_var=SUITE_ENV, db_file=SUITE_FILE)
