"""The uvicorn factory (`shared.http.server:build`): one application per worker process, from settings."""

from __future__ import annotations

from fastapi import FastAPI


def build() -> FastAPI:
    from shared.http.app import create_app

    return create_app()
