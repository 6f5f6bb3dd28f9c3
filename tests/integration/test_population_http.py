"""The HTTP adapter against motcua's real registry API on a loopback port, stopped mid-way.

The registry runs as its own motcua (its own SQLite database, served by werkzeug in a thread); the
dossiers run in the ``ctx`` database (SQLite and PostgreSQL) and reach the registry over HTTP."""

from __future__ import annotations

import shutil
import threading
import time

import httpx
import pytest
from werkzeug.serving import make_server

from engine import services
from engine.population import CircuitBreaker, HttpRegistry, install_population
from engine.services import population
from tests.conftest import AGENCY, OTHER_AGENCY
from tests.population_helpers import alive, deploy_lookup_fixture, identity, person, seed_small
from webui import create_app


class RegistryServer:
    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.server = make_server("127.0.0.1", 0, create_app(ctx), threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.running = True

    def stop(self) -> None:
        if self.running:
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(timeout=10)
            self.running = False


@pytest.fixture
def registry_server(make_context, sqlite_template, tmp_path):
    path = tmp_path / "registry.db"
    shutil.copy(sqlite_template, path)
    ctx = make_context(f"sqlite:///{path}")
    services.create_agency(ctx, AGENCY, "Trung tâm Phục vụ hành chính công phường Ba Đình")
    services.create_agency(ctx, OTHER_AGENCY, "Trung tâm Phục vụ hành chính công phường Hoàn Kiếm")
    seed_small(ctx, 600, seed=3)
    server = RegistryServer(ctx)
    yield server
    server.stop()


def _http_registry(server, key, **options) -> HttpRegistry:
    options = {"timeout": 1.0, "retries": 1, "backoff": 0.01, **options}
    return HttpRegistry(server.url, key, **options)


def _open(ctx, dossier_id):
    return [t for t in services.get_dossier(ctx, dossier_id).tasks if t.state == "open"]


def test_look_ups_over_http_then_the_registry_stops_and_the_breaker_opens(ctx, officers, registry_server):
    key, _ = population.create_api_key(registry_server.ctx, AGENCY)
    breaker = CircuitBreaker(failure_threshold=2, reset_after=60)
    adapter = _http_registry(registry_server, key, breaker=breaker)
    install_population(ctx, adapter)
    process = deploy_lookup_fixture(ctx)
    applicant = identity(person(registry_server.ctx, alive()))

    first = services.submit_dossier(ctx, process, AGENCY, applicant, officers["intake"])
    [intake] = _open(ctx, first.id)
    assert intake.data["applicant_lookup"]["status"] == "match"
    services.complete_task(ctx, intake.id, officers["intake"], {})
    [approve] = _open(ctx, first.id)
    assert approve.bpmn_id == "approve"
    evidence = population.dossier_evidence(ctx, first.id)
    assert {e.document_code for e in evidence} == {"id_card_copy", "marital_status_certificate"}

    # the registry logged the same requests, with the officer, agency and purpose
    served = population.list_lookups(registry_server.ctx)
    assert {a.request_id for a in served} == {e.request_id for e in evidence}
    assert {(a.channel, a.officer, a.agency_code, a.procedure_code, a.outcome) for a in served} == {
        ("api", "tiepnhan", AGENCY, "marriage_registration", "match")
    }

    registry_server.stop()  # the registry goes away mid-way

    second = services.submit_dossier(ctx, process, AGENCY, applicant, officers["intake"])
    [intake] = _open(ctx, second.id)
    assert intake.data["applicant_lookup"]["status"] == "unavailable"
    services.complete_task(ctx, intake.id, officers["intake"], {})
    [paper] = _open(ctx, second.id)
    assert paper.bpmn_id == "paper"  # ask for the paper document; the dossier is not stuck
    assert breaker.state == "open"

    started = time.perf_counter()
    third = services.submit_dossier(ctx, process, AGENCY, applicant, officers["intake"])
    elapsed = time.perf_counter() - started
    [intake] = _open(ctx, third.id)
    answer = intake.data["applicant_lookup"]
    assert answer["status"] == "unavailable" and "circuit breaker" in answer["reason"]
    assert elapsed < 5  # the open breaker answers at once instead of waiting for timeouts

    outcomes = [(a.dossier_id, a.channel, a.outcome) for a in reversed(population.list_lookups(ctx))]
    assert outcomes == [
        (first.id, "http", "match"),
        (first.id, "http", "match"),
        (second.id, "http", "unavailable"),
        (second.id, "http", "unavailable"),
        (third.id, "http", "unavailable"),
    ]
    assert population.dossier_evidence(ctx, second.id) == []
    adapter.close()


def test_a_wrong_key_is_refused_by_the_registry_and_the_dossier_shows_why(ctx, officers, registry_server):
    adapter = _http_registry(registry_server, "mcr_not-a-key")
    install_population(ctx, adapter)
    process = deploy_lookup_fixture(ctx)
    applicant = identity(person(registry_server.ctx, alive()))
    dossier = services.submit_dossier(ctx, process, AGENCY, applicant, officers["intake"])
    assert dossier.run_state == "error"
    assert "Khóa API không hợp lệ" in dossier.error_message
    assert [(a.channel, a.outcome) for a in population.list_lookups(ctx)] == [("http", "refused")]
    [served] = population.list_lookups(registry_server.ctx)
    assert (served.outcome, served.reason.split(":")[0]) == ("refused", "key")
    adapter.close()


def _query(**overrides):
    body = {
        "id_number": "",
        "full_name": "",
        "date_of_birth": "",
        "procedure_code": "marriage_registration",
        "officer": "tiepnhan",
        "agency_code": AGENCY,
        "request_id": "req-1",
    }
    body.update(overrides)
    return body


def test_the_api_refuses_wrong_keys_agencies_and_purposes_and_logs_them(registry_server):
    ctx = registry_server.ctx
    key, _ = population.create_api_key(ctx, AGENCY)
    revoked, view = population.create_api_key(ctx, AGENCY)
    population.revoke_api_key(ctx, view.prefix)
    p = person(ctx, alive())
    who = {
        "id_number": p["applicant_id_number"],
        "full_name": p["applicant_name"],
        "date_of_birth": p["applicant_date_of_birth"],
    }
    url = f"{registry_server.url}/registry/v1/lookup"

    def post(operation, body, api_key=key):
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        return httpx.post(f"{url}/{operation}", json=body, headers=headers, timeout=5)

    ok = post("marital_status", _query(**who, request_id="ok-1"))
    assert ok.status_code == 200 and ok.json()["status"] == "match"
    assert "phone" not in ok.json()["person"]

    refusals = [
        (post("lookup", _query(**who), api_key=None), 401, "key"),
        (post("lookup", _query(**who), api_key="mcr_guess"), 401, "key"),
        (post("lookup", _query(**who), api_key=revoked), 401, "key"),
        (post("lookup", _query(**who, agency_code=OTHER_AGENCY)), 403, "agency"),
        (post("marital_status", _query(**who, procedure_code="building_permit")), 403, "purpose"),
        (post("lookup", _query(**who, procedure_code="tax_refund")), 403, "purpose"),
    ]
    for response, status, reason in refusals:
        assert (response.status_code, response.json()["reason"]) == (status, reason)

    refused = population.list_lookups(ctx, outcome="refused")
    assert sorted(r.reason.split(":")[0] for r in refused) == sorted(r for _, _, r in refusals)
    assert [a.request_id for a in population.list_lookups(ctx, outcome="match")] == ["ok-1"]
    assert post("lookup", ["not", "an", "object"]).status_code == 400
