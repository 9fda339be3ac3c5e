"""The one FastAPI application: the core's routes plus the router of every registered app (`AppSpec.api`).

An app whose router fails to import is reported by name (in the log and as not-ready on `/readyz`), never
silently skipped. An app's API module may also define `ready() -> str` (cheap: database reachable, what
is loaded) and `warm() -> None` (load its models), which the application calls at start-up.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from fastapi import FastAPI

from shared.http import errors
from shared.http.keys import KeyStore
from shared.http.limits import BodyLimit
from shared.http.metrics import MetricsMiddleware
from shared.http.models import ModelService
from shared.http.routes import models as model_routes
from shared.http.routes import ops
from shared.http.state import ApiState
from shared.settings import ApiSettings

log = logging.getLogger(__name__)

def registered_apis() -> tuple[list[tuple[str, str]], dict[str, str]]:
    """(app name, "pkg.api:router") for every registered app that has an API, and apps that failed to load."""
    from shared.apps import registered_apps

    apps, failures = registered_apps()
    return [(spec.name, spec.api) for spec in apps if spec.api], {f.name: f.error for f in failures}


def load_router(ref: str) -> tuple[Any, Any]:
    """("pkg.api:router") → (router, its module)."""
    module_name, _, attr = ref.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attr or "router"), module


def create_app(apis: list[tuple[str, str]] | None = None, *, settings: ApiSettings | None = None,
               keys: KeyStore | None = None, models: ModelService | None = None, warm: bool = True,
               overrides: dict[Callable[..., Any], Callable[..., Any]] | None = None) -> FastAPI:
    """Assemble the API. `apis` defaults to the registered apps; `overrides` replaces dependencies (the
    apps' service getters), which is how tests and embedders inject their own stores."""
    if settings is None:
        from shared.settings import get_settings

        settings = get_settings().api
    failures: dict[str, str] = {}
    if apis is None:
        apis, failures = registered_apis()
    state = ApiState(settings=settings, keys=keys or KeyStore(), failures=dict(failures))
    service = models or ModelService()
    previous_on_load = service._on_load

    def on_load(name: str, version: str) -> None:
        previous_on_load(name, version)
        state.metrics.models.labels(name, version).set(1)

    service._on_load = on_load

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        if warm:
            threading.Thread(target=_warm_up, args=(state,), name="api-warm-up", daemon=True).start()
        else:
            state.warmed = True
        yield

    app = FastAPI(title="verticals API", version="1", lifespan=lifespan,
                  description="The suite's HTTP API. Every failure answers "
                              '`{"error": {"code": "...", "message": "..."}}`.')
    app.state.api = state
    app.state.models = service
    errors.install(app)
    app.include_router(ops)
    app.include_router(model_routes, responses=errors.ERROR_RESPONSES)

    def resolve(dependency: Callable[[], Any]) -> Any:
        """A zero-argument dependency's value, honouring the overrides (what a route would get)."""
        return app.dependency_overrides.get(dependency, dependency)()

    for name, ref in apis:
        try:
            router, module = load_router(ref)
        except Exception as exc:  # noqa: BLE001 - reported by name in the log and on /readyz, never skipped
            log.error("API of app %r (%s) failed to load: %s", name, ref, exc)
            state.failures[name] = f"{type(exc).__name__}: {exc}"
            continue
        app.include_router(router, responses=errors.ERROR_RESPONSES)
        if callable(getattr(module, "ready", None)):
            state.checks[name] = partial(module.ready, resolve)
        if callable(getattr(module, "warm", None)):
            state.warm[name] = partial(module.warm, resolve)
    state.checks.setdefault("suite_db", lambda: _ping(state.keys))
    for dependency, replacement in (overrides or {}).items():
        app.dependency_overrides[dependency] = replacement
    # Added last = outermost: metrics see every request, including those the body limit refuses.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=state.metrics)
    return app


def _ping(keys: KeyStore) -> str:
    from sqlalchemy import text

    with keys.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return "reachable"


def _warm_up(state: ApiState) -> None:
    try:
        for name, warm in state.warm.items():
            log.info("warming %s", name)
            warm()
    except Exception as exc:  # readiness reports it; the process keeps serving what it can
        log.exception("warm-up failed")
        state.warm_error = f"{type(exc).__name__}: {exc}"
    finally:
        state.warmed = True
