"""The circuit breaker, masking, entitlements and the mapping of process ids to procedures."""

from __future__ import annotations

import httpx
import pytest

from engine.bpmn.operators import OperatorRegistry
from engine.config import Settings
from engine.population import (
    ENTITLEMENTS,
    OPERATIONS,
    CircuitBreaker,
    HttpRegistry,
    RegistryQuery,
    RegistryRefused,
    check_purpose,
    mask_id,
    mask_name,
    procedure_code_of,
)
from motcua.bootstrap import operators, rule_context

CATALOG = (
    "birth_registration",
    "death_registration",
    "marriage_registration",
    "marital_status_certificate",
    "permanent_residence",
    "child_under6_bundle",
    "building_permit",
    "criminal_record",
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_after_repeated_failures_and_lets_one_trial_through_later():
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=2, reset_after=10, clock=clock)
    assert breaker.allow() and breaker.state == "closed"
    breaker.record_failure()
    assert breaker.state == "closed"
    breaker.record_failure()
    assert breaker.state == "open" and not breaker.allow()
    clock.now += 10
    assert breaker.state == "half_open"
    assert breaker.allow()  # one trial
    assert not breaker.allow()  # and only one
    breaker.record_failure()
    assert breaker.state == "open"
    clock.now += 10
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == "closed" and breaker.allow()


def test_a_success_resets_the_count_of_failures():
    breaker = CircuitBreaker(failure_threshold=2, clock=FakeClock())
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state == "closed"


def test_personal_data_is_masked():
    assert mask_id("079190123456") == "079*******56"
    assert mask_name("Nguyễn Văn An") == "N. V. A."
    assert mask_id(None) == "-"


def test_every_catalog_procedure_has_an_entitlement_with_identity_fields():
    assert set(ENTITLEMENTS) == set(CATALOG)
    for entitlement in ENTITLEMENTS.values():
        assert {"id_number", "full_name", "date_of_birth"} <= entitlement.person_fields
        assert "lookup" in entitlement.operations
        assert entitlement.operations <= set(OPERATIONS)
    assert "phone" not in set().union(*(e.person_fields for e in ENTITLEMENTS.values()))


def test_a_purpose_outside_the_entitlement_is_refused():
    assert check_purpose("marriage_registration", "marital_status")
    with pytest.raises(RegistryRefused) as refused:
        check_purpose("building_permit", "marital_status")
    assert refused.value.code == "purpose"
    with pytest.raises(RegistryRefused):
        check_purpose("tax_refund", "lookup")
    with pytest.raises(RegistryRefused):
        check_purpose(None, "lookup")


def test_process_ids_map_to_procedure_codes():
    assert procedure_code_of("birth_registration_to_be") == "birth_registration"
    assert procedure_code_of("birth_registration_as_is") == "birth_registration"
    assert procedure_code_of("five_stage") == "five_stage"


def test_validation_knows_the_population_operators_without_a_database(tmp_path):
    settings = Settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none", data_dir=tmp_path)
    registry = operators(settings)
    assert isinstance(registry, OperatorRegistry)
    names = {f"population.{op}" for op in ("lookup", "marital_status", "household", "parents", "residence")}
    assert names <= registry.names()
    assert names <= rule_context(settings).known_operators


def _query():
    return RegistryQuery(
        "lookup", "001090123456", "Nguyễn Văn An", "1990-01-01", "birth_registration", "a", "X", "r1"
    )


def _adapter(responses, **options):
    calls = []

    def handler(request):
        calls.append(request)
        answer = responses[min(len(calls), len(responses)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    options = {"retries": 2, "backoff": 0.001, "breaker": CircuitBreaker(failure_threshold=1), **options}
    return HttpRegistry(
        "http://registry.test", "key", transport=httpx.MockTransport(handler), **options
    ), calls


def test_the_http_adapter_retries_server_errors_and_connection_failures():
    ok = httpx.Response(200, json={"status": "match", "reason": None, "request_id": "r1", "person": {}})
    adapter, calls = _adapter([httpx.Response(503), httpx.ConnectError("refused"), ok])
    assert adapter.query(_query(), ENTITLEMENTS["birth_registration"])["status"] == "match"
    assert len(calls) == 3
    assert calls[0].headers["Authorization"] == "Bearer key"
    assert calls[0].url.path == "/registry/v1/lookup/lookup"


def test_the_http_adapter_gives_up_as_unavailable_and_opens_the_breaker():
    adapter, calls = _adapter([httpx.Response(500)])
    answer = adapter.query(_query(), ENTITLEMENTS["birth_registration"])
    assert (answer["status"], answer["request_id"]) == ("unavailable", "r1")
    assert "HTTP 500" in answer["reason"] and len(calls) == 3
    assert adapter.breaker.state == "open"
    assert "circuit breaker" in adapter.query(_query(), ENTITLEMENTS["birth_registration"])["reason"]
    assert len(calls) == 3  # no call while open


def test_the_http_adapter_reports_a_refusal_instead_of_retrying():
    adapter, calls = _adapter([httpx.Response(403, json={"reason": "purpose", "message": "not entitled"})])
    with pytest.raises(RegistryRefused) as refused:
        adapter.query(_query(), ENTITLEMENTS["birth_registration"])
    assert (refused.value.code, refused.value.message, len(calls)) == ("purpose", "not entitled", 1)
