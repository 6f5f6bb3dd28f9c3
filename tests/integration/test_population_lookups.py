"""Look-ups from running dossiers: the fast path, every fallback, every refusal, the audit and savings.

The dossiers run the fixture model registry_lookup.bpmn (identity look-up at submission, marital
status after intake, then a gateway to approval, verification or a paper request)."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from engine import services
from engine.bpmn.operators import OperatorError, RunContext, current_run
from engine.errors import PermissionDenied
from engine.population import ENTITLEMENTS, HttpRegistry, install_population, mask_id
from engine.services import population
from engine.store.registry_tables import RegistryCitizen
from tests.conftest import AGENCY, OTHER_AGENCY
from tests.population_helpers import alive, deploy_lookup_fixture, identity, person, seed_small


@pytest.fixture
def registry(ctx, officers):
    seed_small(ctx)
    return ctx


def _open(ctx, dossier_id):
    return [t for t in services.get_dossier(ctx, dossier_id).tasks if t.state == "open"]


def _through_intake(ctx, officers, data, procedure="marriage_registration"):
    process = deploy_lookup_fixture(ctx, procedure)
    dossier = services.submit_dossier(ctx, process, AGENCY, identity(data), officers["intake"])
    [intake] = _open(ctx, dossier.id)
    services.complete_task(ctx, intake.id, officers["intake"], {})
    return services.get_dossier(ctx, dossier.id)


def test_a_match_replaces_the_paper_and_goes_straight_to_approval(registry, officers):
    ctx = registry
    applicant = person(ctx, alive(), RegistryCitizen.marital_status == "single", RegistryCitizen.sex == "F")
    process = deploy_lookup_fixture(ctx)
    dossier = services.submit_dossier(ctx, process, AGENCY, identity(applicant), officers["intake"])
    [intake] = _open(ctx, dossier.id)
    found = intake.data["applicant_lookup"]  # pre-fills the intake form
    assert found["status"] == "match" and found["source"] == "population_registry"
    assert found["person"]["full_name"] == applicant["applicant_name"]
    services.complete_task(ctx, intake.id, officers["intake"], {})

    [approve] = _open(ctx, dossier.id)
    assert approve.bpmn_id == "approve"
    marital = approve.data["marital"]
    assert (marital["status"], marital["marital_status"], marital["spouse_id_number"]) == (
        "match",
        "single",
        None,
    )

    evidence = {e.document_code: e for e in population.dossier_evidence(ctx, dossier.id)}
    assert set(evidence) == {"id_card_copy", "marital_status_certificate"}
    assert evidence["marital_status_certificate"].request_id == marital["request_id"]
    assert evidence["marital_status_certificate"].officer == "tiepnhan"
    assert evidence["id_card_copy"].request_id == found["request_id"]

    [per_procedure] = population.savings(ctx)
    assert per_procedure.to_dict() == {
        "procedure_code": "marriage_registration",
        "dossier_id": None,
        "dossiers": 1,
        "documents_replaced": 2,
        "trips_saved": 3,
    }
    [per_dossier] = population.savings(ctx, per="dossier")
    assert (per_dossier.dossier_id, per_dossier.documents_replaced) == (dossier.id, 2)

    audit = population.list_lookups(ctx, dossier_id=dossier.id)
    assert [(a.purpose, a.outcome, a.officer, a.agency_code, a.procedure_code) for a in audit] == [
        ("marital_status", "match", "tiepnhan", AGENCY, "marriage_registration"),
        ("lookup", "match", "tiepnhan", AGENCY, "marriage_registration"),
    ]
    assert applicant["applicant_id_number"] not in {a.subject for a in audit}  # masked
    assert population.list_lookups(ctx, subject_id_number=applicant["applicant_id_number"]) == audit


def test_a_married_applicant_is_answered_with_the_spouse(registry, officers):
    ctx = registry
    applicant = person(ctx, alive(), RegistryCitizen.marital_status == "married")
    marital = _through_intake(ctx, officers, applicant).tasks[-1].data["marital"]
    assert marital["marital_status"] == "married"
    assert marital["spouse_id_number"] == applicant["_row"]["spouse_id_number"]
    assert marital["spouse"]["id_number"] == applicant["_row"]["spouse_id_number"]


def _variant(applicant: dict, case: str) -> dict:
    data = identity(applicant)
    if case == "name":
        data["applicant_name"] = data["applicant_name"] + " Thị"
    elif case == "birth_date":
        born = date.fromisoformat(data["applicant_date_of_birth"])
        data["applicant_date_of_birth"] = born.replace(day=1 if born.day != 1 else 2).isoformat()
    elif case == "unknown":
        data["applicant_id_number"] = "001199000001"
    return data


@pytest.mark.parametrize(
    ("case", "status", "reason"),
    [
        ("name", "mismatch", "họ tên"),
        ("birth_date", "mismatch", "ngày sinh"),
        ("unknown", "not_found", "Không tìm thấy"),
        ("deceased", "deceased", "đã chết"),
    ],
)
def test_a_failed_look_up_sends_the_dossier_to_verification_with_the_reason(
    registry, officers, case, status, reason
):
    ctx = registry
    wanted = RegistryCitizen.date_of_death.is_not(None) if case == "deceased" else alive()
    applicant = _variant(person(ctx, wanted), case)
    detail = _through_intake(ctx, officers, applicant)
    assert detail.dossier.run_state == "running"  # not stuck
    [verify] = [t for t in detail.tasks if t.state == "open"]
    assert (verify.bpmn_id, verify.role) == ("verify", "appraiser")
    marital = verify.data["marital"]
    assert marital["status"] == status and reason in marital["reason"]
    assert marital["person"] is None  # nothing disclosed on a failed identity check
    assert population.dossier_evidence(ctx, detail.dossier.id) == []
    outcomes = [(a.purpose, a.outcome) for a in population.list_lookups(ctx, dossier_id=detail.dossier.id)]
    assert outcomes == [("marital_status", status), ("lookup", status)]
    assert reason in population.list_lookups(ctx, dossier_id=detail.dossier.id)[0].reason


def test_an_unreachable_registry_asks_for_the_paper_document(registry, officers):
    ctx = registry
    install_population(
        ctx, HttpRegistry("http://127.0.0.1:9", "no-key", timeout=0.5, retries=1, backoff=0.01)
    )
    applicant = person(ctx, alive())
    detail = _through_intake(ctx, officers, applicant)
    [paper] = [t for t in detail.tasks if t.state == "open"]
    assert paper.bpmn_id == "paper"
    assert paper.data["marital"]["status"] == "unavailable"
    assert "unreachable" in paper.data["marital"]["reason"]
    assert {a.outcome for a in population.list_lookups(ctx)} == {"unavailable"}
    assert {a.channel for a in population.list_lookups(ctx)} == {"http"}


def test_a_procedure_not_entitled_to_the_look_up_is_refused_and_logged(registry, officers):
    ctx = registry
    applicant = person(ctx, alive())
    detail = _through_intake(ctx, officers, applicant, procedure="building_permit")
    assert detail.dossier.run_state == "error"
    assert detail.dossier.error_element == "check_marital"
    assert "building_permit" in detail.dossier.error_message
    refused = population.list_lookups(ctx, outcome="refused")
    assert [(r.purpose, r.reason.split(":")[0]) for r in refused] == [("marital_status", "purpose")]
    assert [e.document_code for e in population.dossier_evidence(ctx, detail.dossier.id)] == ["id_card_copy"]


def _call(ctx, operation, params, run):
    token = current_run.set(run)
    try:
        return ctx.operators.call(f"population.{operation}", params, {})
    finally:
        current_run.reset(token)


def _params(applicant):
    return {
        "id_number": applicant["applicant_id_number"],
        "full_name": applicant["applicant_name"],
        "date_of_birth": applicant["applicant_date_of_birth"],
    }


def test_only_officers_of_the_handling_agency_may_look_up_for_a_dossier_in_progress(registry, officers):
    ctx = registry
    applicant = person(ctx, alive())
    process = deploy_lookup_fixture(ctx)
    dossier = services.submit_dossier(ctx, process, AGENCY, identity(applicant), officers["intake"])
    params = _params(applicant)
    cases = {
        "officer": RunContext(dossier.id, "hoankiem", AGENCY, process),
        "agency": RunContext(dossier.id, "hoankiem", OTHER_AGENCY, process),
        "dossier": RunContext(None, "tiepnhan", AGENCY, process),
    }
    for code, run in cases.items():
        with pytest.raises(OperatorError, match="từ chối"):
            _call(ctx, "lookup", params, run)
        assert population.list_lookups(ctx, limit=1)[0].reason.startswith(f"{code}:")
    assert (
        _call(ctx, "lookup", params, RunContext(dossier.id, "tiepnhan", AGENCY, process))["status"] == "match"
    )

    # once the result is ready the dossier is no longer in progress
    [intake] = _open(ctx, dossier.id)
    services.complete_task(ctx, intake.id, officers["intake"], {})
    [approve] = _open(ctx, dossier.id)
    services.complete_task(ctx, approve.id, officers["approver"], {})
    assert services.get_dossier(ctx, dossier.id).dossier.run_state == "completed"
    with pytest.raises(OperatorError, match="không còn đang xử lý"):
        _call(ctx, "lookup", params, RunContext(dossier.id, "tiepnhan", AGENCY, process))

    refused = population.list_lookups(ctx, outcome="refused")
    assert sorted(r.reason.split(":")[0] for r in refused) == ["agency", "dossier", "dossier", "officer"]
    assert all(r.procedure_code == "marriage_registration" for r in refused)


def test_a_procedure_sees_only_the_fields_it_is_entitled_to(registry, officers):
    ctx = registry
    applicant = person(ctx, alive())
    process = deploy_lookup_fixture(ctx, "building_permit")
    dossier = services.submit_dossier(ctx, process, AGENCY, identity(applicant), officers["intake"])
    [intake] = _open(ctx, dossier.id)
    found = intake.data["applicant_lookup"]
    assert set(found["person"]) == ENTITLEMENTS["building_permit"].person_fields
    assert "marital_status" not in found["person"] and "ethnicity" not in found["person"]


def test_household_parents_and_residence_look_ups(registry, officers):
    ctx = registry
    child = person(
        ctx,
        alive(),
        RegistryCitizen.father_id_number.is_not(None),
        RegistryCitizen.mother_id_number.is_not(None),
        RegistryCitizen.relationship_to_head == "child",
    )
    process = deploy_lookup_fixture(ctx, "birth_registration")
    dossier = services.submit_dossier(ctx, process, AGENCY, identity(child), officers["intake"])
    run = RunContext(dossier.id, "tiepnhan", AGENCY, process)
    params = _params(child)

    parents = _call(ctx, "parents", params, run)
    assert parents["status"] == "match"
    assert parents["father"]["id_number"] == child["_row"]["father_id_number"]
    assert parents["mother"]["id_number"] == child["_row"]["mother_id_number"]

    household = _call(ctx, "household", params, run)["household"]
    members = {m["id_number"]: m["relationship_to_head"] for m in household["members"]}
    assert members[child["applicant_id_number"]] == "child"
    assert household["head"]["id_number"] in members and household["relationship_to_head"] == "child"
    assert {child["_row"]["father_id_number"], child["_row"]["mother_id_number"]} <= set(members)

    residence = _call(ctx, "residence", params, run)
    assert residence["permanent_residence"] == household["address"]
    assert residence["current_residence"]
    assert len(population.list_lookups(ctx, dossier_id=dossier.id)) == 4


def test_logs_mask_personal_data(registry, officers, caplog):
    ctx = registry
    caplog.set_level(logging.INFO, logger="motcua.population")
    applicant = person(ctx, alive())
    _through_intake(ctx, officers, applicant)
    assert "population marital_status via embedded" in caplog.text
    assert mask_id(applicant["applicant_id_number"]) in caplog.text
    assert applicant["applicant_id_number"] not in caplog.text
    assert applicant["applicant_name"] not in caplog.text


def test_a_later_look_up_refreshes_the_evidence_for_the_same_document(registry, officers):
    ctx = registry
    applicant = person(ctx, alive())
    process = deploy_lookup_fixture(ctx)
    dossier = services.submit_dossier(ctx, process, AGENCY, identity(applicant), officers["intake"])
    [before] = population.dossier_evidence(ctx, dossier.id)
    run = RunContext(dossier.id, "tiepnhan", AGENCY, process)
    again = _call(ctx, "lookup", {**_params(applicant), "document": "id_card_copy"}, run)
    [after] = population.dossier_evidence(ctx, dossier.id)
    assert after.document_code == before.document_code == "id_card_copy"
    assert after.request_id == again["request_id"] != before.request_id
    assert population.savings(ctx)[0].documents_replaced == 1


def test_an_officer_may_look_up_by_hand_for_a_dossier_of_their_agency_only(registry, officers):
    ctx = registry
    applicant = person(ctx, alive())
    process = deploy_lookup_fixture(ctx)
    dossier = services.submit_dossier(ctx, process, AGENCY, identity(applicant), officers["intake"])
    who = _params(applicant)
    found = population.lookup_for_dossier(ctx, dossier.id, "residence", who, officers["appraiser"])
    assert found["status"] == "match" and found["permanent_residence"]
    with pytest.raises(PermissionDenied, match="belongs to another agency"):
        population.lookup_for_dossier(ctx, dossier.id, "residence", who, officers["other_intake"])
    with pytest.raises(PermissionDenied, match="not entitled"):
        population.lookup_for_dossier(ctx, dossier.id, "household", who, officers["appraiser"])
    latest = population.list_lookups(ctx, limit=3)
    assert [(a.officer, a.outcome) for a in latest] == [
        ("thamdinh", "refused"),
        ("hoankiem", "refused"),
        ("thamdinh", "match"),
    ]
