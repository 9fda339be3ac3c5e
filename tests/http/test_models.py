"""Models over HTTP: predict with a registered classifier (current or a named version), embed with the
packaged MiniLM, batched; unknown names and wrong tasks in the one error shape; versions in /metrics."""

from __future__ import annotations

import numpy as np
import pytest

from shared.registry import Registry
from tests.core.conftest import separable_frame
from tests.http.conftest import assert_error


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    from shared.api import finetune
    from shared.config import OptimConfig, TrainConfig

    reg = Registry(tmp_path_factory.mktemp("registry"))
    data = separable_frame()
    first = finetune(data, name="topics", method="head", registry=reg,
                     config=TrainConfig(epochs=20, patience=20, progress=False, optim=OptimConfig(batch_size=8)))
    second = finetune(data, name="topics", method="head", registry=reg,
                      config=TrainConfig(epochs=1, patience=1, progress=False, optim=OptimConfig(batch_size=8)))
    assert first.version != second.version
    return reg, first.version, second.version


@pytest.fixture
def client(keys, registry):
    from fastapi.testclient import TestClient

    from shared.http import create_app
    from shared.http.models import ModelService
    from shared.settings import ApiSettings

    reg, _, _ = registry
    app = create_app([], settings=ApiSettings(), keys=keys, models=ModelService(reg), warm=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        c.headers["X-API-Key"] = keys.create("ml", "models")
        yield c


def test_predict_with_the_current_and_a_named_version(client, registry):
    _, first, second = registry
    texts = ["goal striker match league", "shares profit dividend earnings"]
    r = client.post("/v1/models/topics/predict", json={"texts": texts, "version": first})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["version"] == first and [p["label"] for p in body["predictions"]] == ["sport", "market"]
    assert all(p["score"] == pytest.approx(max(p["probs"].values())) for p in body["predictions"])
    current = client.post("/v1/models/topics/predict", json={"texts": texts[:1]}).json()
    assert current["version"] == second and len(current["predictions"]) == 1
    listed = client.get("/v1/models").json()
    assert {"name": "topics", "task": "classification", "version": second} in listed
    metrics = client.get("/metrics").text
    assert f'verticals_model_served{{name="topics",version="{first}"}} 1.0' in metrics
    assert f'verticals_model_served{{name="topics",version="{second}"}} 1.0' in metrics


def test_embed_a_batch_with_minilm(client):
    r = client.post("/v1/models/embed", json={"texts": ["a building permit", "permit for a house", "pizza"]})
    assert r.status_code == 200, r.text
    body = r.json()
    vecs = np.array(body["vectors"])
    assert body["model"] == "minilm" and body["dimension"] == 384 and vecs.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2]


def test_model_errors_have_the_one_shape(client):
    assert_error(client.post("/v1/models/nope/predict", json={"texts": ["x"]}), 404, "registry")
    assert_error(client.post("/v1/models/topics/predict", json={"texts": ["x"], "version": "v999"}), 404)
    assert_error(client.post("/v1/models/topics/predict", json={"texts": []}), 422, "validation_error")
    assert_error(client.post("/v1/models/topics/predict", json={"texts": ["x"] * 257}), 422, "validation_error")
    assert_error(client.post("/v1/models/embed", json={"texts": ["x"], "model": "topics"}), 422, "config")
    assert_error(client.post("/v1/models/embed", json={"texts": ["x"], "model": "/etc"}), 422, "invalid_name")
