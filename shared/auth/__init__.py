"""Who is acting, and what they may do: identities, roles → permissions, and the one `require` check.

Sign-in (local accounts, OpenID Connect) and API keys produce an `Identity`; service functions take it as
`actor=` and call `require(actor, permission)` so the page, the CLI and the HTTP API share one check.
"""

from shared.auth.identity import SYSTEM, Identity, PermissionDenied, require
from shared.auth.roles import PERMISSIONS, ROLES

__all__ = ["PERMISSIONS", "ROLES", "SYSTEM", "Identity", "PermissionDenied", "require"]
