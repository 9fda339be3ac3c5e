"""The API's one error shape, `{"error": {"code": ..., "message": ...}}`, for every failure.

Our own exceptions map by the builtin they subclass (LookupError → 404, PermissionError → 403,
ValueError → 422); the code is the exception's class name in snake case (`UnknownWorkspaceError` →
`unknown_workspace`) so clients can branch on it. Anything unexpected is logged here and answered with
a plain 500: no traceback ever reaches a client.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import VerticalsError

log = logging.getLogger(__name__)


class ApiError(VerticalsError):
    """An HTTP-level failure with its status and machine-readable code."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code = code or self.code
        self.status = status or self.status
        self.headers = headers or {}


class Unauthorized(ApiError, PermissionError):
    status, code = 401, "unauthorized"


class Forbidden(ApiError, PermissionError):
    status, code = 403, "forbidden"


class NotFound(ApiError, LookupError):
    status, code = 404, "not_found"


class TooLarge(ApiError, ValueError):
    status, code = 413, "too_large"


class RateLimited(ApiError, RuntimeError):
    status, code = 429, "rate_limited"


class Unavailable(ApiError, RuntimeError):
    status, code = 503, "unavailable"


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    """Every failure, whatever its cause."""

    error: ErrorDetail


# Documented on every route so clients (and schemathesis) know the failure shape.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in ((401, "Missing or unknown credentials"), (403, "Not allowed"), (404, "Not found"),
                         (413, "Request body too large"), (422, "Invalid input"), (429, "Rate limited"),
                         (500, "Internal error"), (503, "Not ready"))
}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def code_of(exc: BaseException) -> str:
    name = type(exc).__name__
    name = re.sub(r"(Error|Exception)$", "", name) or name
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def status_of(exc: BaseException) -> int:
    if isinstance(exc, ApiError):
        return exc.status
    if isinstance(exc, PermissionError):
        return 403
    if isinstance(exc, LookupError):
        return 404
    if isinstance(exc, ValueError):
        return 422
    return 503  # a VerticalsError that is neither: a collaborator failed (generator, model load)


async def _verticals_error(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, ApiError):
        return error_response(exc.status, exc.code, str(exc), exc.headers)
    status = status_of(exc)
    if status >= 500:
        log.warning("%s %s: %s", request.method, request.url.path, exc)
    return error_response(status, code_of(exc), str(exc))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    parts = []
    for err in errors[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else str(err.get("msg", "invalid")))
    return error_response(422, "validation_error", "; ".join(parts) or "invalid request")


_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 406: "not_acceptable", 413: "too_large", 415: "unsupported_media_type",
               429: "rate_limited"}


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    status = getattr(exc, "status_code", 500)
    detail = getattr(exc, "detail", "") or ""
    message = detail if isinstance(detail, str) and detail else f"HTTP {status}"
    if status == 404 and message == "Not Found":
        message = f"no route {request.method} {request.url.path}; see /docs"
    return error_response(status, _HTTP_CODES.get(status, f"http_{status}"), message,
                          getattr(exc, "headers", None))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal", "internal error; the server log has the details")


def install(app: FastAPI) -> None:
    app.add_exception_handler(VerticalsError, _verticals_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
