"""The suite's HTTP API: one FastAPI application assembled from the core's routes and the apps' routers."""

from shared.http.app import create_app

__all__ = ["create_app"]
