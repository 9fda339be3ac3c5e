"""Who is calling: an API key (`Authorization: Bearer vk_...` or `X-API-Key`), or a customer holding a
channel token; the per-client rate limit is applied here, once per request."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from shared.auth import require
from shared.http.errors import Forbidden, Unauthorized
from shared.http.keys import KeyIdentity
from shared.http.state import ApiState

_bearer = HTTPBearer(auto_error=False, description="An API key from `verticals keys create`.")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="The same key, as a header.")


def api_state(request: Request) -> ApiState:
    return request.app.state.api


def optional_key(request: Request, bearer: HTTPAuthorizationCredentials | None = Depends(_bearer),
                 header: str | None = Depends(_api_key)) -> KeyIdentity | None:
    """The calling key, rate-limited; None when no key was sent; 401 for an unknown or revoked one."""
    token = (bearer.credentials if bearer else None) or header
    if not token:
        return None
    state = api_state(request)
    who = state.keys.identify(token)
    if who is None:
        raise Unauthorized("unknown or revoked API key; ask an admin for one (`verticals keys create`)")
    state.limiter.check(who.name, who.rate_per_minute)
    return who


def requires(permission: str) -> Callable[..., KeyIdentity]:
    """A dependency: the calling key, which must hold `permission` (403 otherwise, 401 without a key)."""

    def dependency(who: KeyIdentity | None = Depends(optional_key)) -> KeyIdentity:
        if who is None:
            raise Unauthorized(f"this route needs an API key with a scope granting {permission!r}")
        require(who, permission)
        return who

    dependency.__name__ = f"requires_{permission.replace('.', '_')}"
    return dependency


def limit_anonymous(request: Request) -> None:
    """Rate-limit a caller without a key by its address."""
    state = api_state(request)
    client = request.client.host if request.client else "unknown"
    state.limiter.check(f"address {client}", state.settings.anonymous_rate_per_minute)


def channel_token(request: Request) -> str:
    """A customer's conversation token: `X-Conversation-Token`, or `?token=` (EventSource cannot set headers)."""
    return request.headers.get("x-conversation-token") or request.query_params.get("token") or ""


def grant_for(request: Request, resource: str) -> None:
    """The caller's channel token must open exactly `resource`."""
    token = channel_token(request)
    if not token:
        raise Unauthorized("this conversation needs its token (X-Conversation-Token), "
                           "as returned when the conversation was opened")
    state = api_state(request)
    granted = state.keys.resource_of(token)
    if granted is None:
        raise Unauthorized("unknown conversation token; open a new conversation")
    if granted != resource:
        raise Forbidden("this token belongs to another conversation", code="wrong_conversation")
    limit_anonymous(request)
