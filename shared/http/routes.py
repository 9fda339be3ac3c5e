"""The core's own routes: health, readiness, Prometheus metrics, and the model registry's predict/embed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from shared.http.access import api_state, requires
from shared.http.errors import Unavailable
from shared.http.keys import KeyIdentity
from shared.http.models import ModelService

MAX_BATCH = 256
Text = Annotated[str, Field(max_length=10_000)]

ops = APIRouter(tags=["operations"])
models = APIRouter(prefix="/v1/models", tags=["models"])


class Health(BaseModel):
    status: str


class Ready(BaseModel):
    status: str
    checks: dict[str, str]


@ops.get("/healthz", response_model=Health, summary="The process is up")
def healthz() -> Health:
    return Health(status="ok")


@ops.get("/readyz", response_model=Ready, summary="Models loaded and databases reachable")
def readyz(request: Request) -> Ready:
    state = api_state(request)
    if state.warm_error:
        raise Unavailable(f"warm-up failed: {state.warm_error}", code="not_ready")
    if not state.warmed:
        raise Unavailable("still loading models; retry in a few seconds", code="not_ready")
    checks: dict[str, str] = {}
    for name, check in state.checks.items():
        try:
            checks[name] = check()
        except Exception as exc:  # a check failing is exactly what readiness reports
            raise Unavailable(f"{name} is not ready: {exc}", code="not_ready") from exc
    for name, error in state.failures.items():
        raise Unavailable(f"app {name!r} failed to load: {error}", code="not_ready")
    return Ready(status="ready", checks=checks)


@ops.get("/metrics", summary="Prometheus metrics", response_class=Response,
         responses={200: {"content": {"text/plain": {}}}})
def metrics(request: Request) -> Response:
    body, content_type = api_state(request).metrics.render()
    return Response(body, media_type=content_type)


def model_service(request: Request) -> ModelService:
    return request.app.state.models


class PredictRequest(BaseModel):
    texts: list[Text] = Field(min_length=1, max_length=MAX_BATCH, description="Texts to classify (a batch).")
    version: str | None = Field(default=None, max_length=100, description="Version (default: the current one).")


class Prediction(BaseModel):
    label: str
    score: float
    probs: dict[str, float]


class PredictResponse(BaseModel):
    model: str
    version: str
    predictions: list[Prediction]


class EmbedRequest(BaseModel):
    texts: list[Text] = Field(min_length=1, max_length=MAX_BATCH)
    model: str = Field(default="minilm", max_length=100,
                       description="'minilm', 'mpnet' or a registered embedding model.")


class EmbedResponse(BaseModel):
    model: str
    version: str
    dimension: int
    vectors: list[list[float]]


class ModelEntry(BaseModel):
    name: str
    task: str
    version: str


@models.get("", response_model=list[ModelEntry], summary="Registered models and their current versions")
def list_models(service: ModelService = Depends(model_service),
                who: KeyIdentity = Depends(requires("models.read"))) -> list[ModelEntry]:
    out = []
    for name in service.registry.names():
        try:
            card = service.registry.current(name)
        except LookupError:
            continue  # registered but never promoted: nothing is served under it
        out.append(ModelEntry(name=name, task=card.task, version=card.version))
    return out


@models.post("/embed", response_model=EmbedResponse, summary="Embed texts (unit-length vectors)")
def embed(body: EmbedRequest, service: ModelService = Depends(model_service),
          who: KeyIdentity = Depends(requires("models.read"))) -> EmbedResponse:
    version, vectors = service.embed(body.model, body.texts, actor=who)
    return EmbedResponse(model=body.model, version=version, dimension=int(vectors.shape[1]),
                         vectors=vectors.round(6).tolist())


@models.post("/{name}/predict", response_model=PredictResponse, summary="Classify texts with a registered model")
def predict(name: str, body: PredictRequest, service: ModelService = Depends(model_service),
            who: KeyIdentity = Depends(requires("models.read"))) -> PredictResponse:
    version, preds = service.predict(name, body.texts, body.version, actor=who)
    return PredictResponse(model=name, version=version,
                           predictions=[Prediction(label=p.label, score=p.score, probs=p.probs) for p in preds])
