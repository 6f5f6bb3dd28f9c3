"""Fixtures of the REST API tests: the app on a real database, one bearer token per officer."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from engine import services
from engine.bpmn.validation import SourceFile
from engine.services import tokens
from tests.conftest import AGENCY, FIXTURES
from webui import create_app

FIVE_STAGE = FIXTURES / "bpmn" / "five_stage.bpmn"


@pytest.fixture
def app(ctx):
    app = create_app(ctx)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def bearer(ctx, officers) -> dict[str, dict[str, str]]:
    """``bearer["appraiser"]`` is the Authorization header of that officer's token."""
    return {
        key: {"Authorization": f"Bearer {tokens.create_token(ctx, user.username, 'tests').secret}"}
        for key, user in officers.items()
    }


@pytest.fixture
def deployed(ctx, officers):
    return services.deploy(ctx, [SourceFile(FIVE_STAGE.name, FIVE_STAGE.read_bytes())], officers["designer"])


@pytest.fixture
def submit(client, bearer, deployed) -> Callable[..., dict]:
    """Submits a five-stage dossier through the API as the intake officer; returns its JSON."""

    def submit(data: dict | None = None, **extra) -> dict:
        body = {"process_key": "five_stage", "data": data or {"exempt": False}, **extra}
        response = client.post("/api/v1/dossiers", json=body, headers=bearer["intake"])
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return submit


def only_task(client, headers, dossier_id: int) -> dict:
    response = client.get("/api/v1/tasks", headers=headers)
    assert response.status_code == 200, response.get_json()
    found = [t for t in response.get_json() if t["dossier_id"] == dossier_id]
    assert len(found) == 1, found
    return found[0]


__all__ = ["AGENCY", "only_task"]
