"""Every catalog model validates and runs end to end (SQLite; one PostgreSQL case in
test_catalog_postgres.py). The population registry is the test double from catalog/conftest.py."""

from __future__ import annotations

import pytest

from engine import services

from .conftest import POPULATION_OPERATORS, catalog_paths
from .driver import model_files, run

MODELS = [(p.parent.name, p.stem) for p in catalog_paths()]
PROCEDURE_CODES = (
    "birth_registration",
    "death_registration",
    "marriage_registration",
    "marital_status_certificate",
    "permanent_residence",
    "child_under6_bundle",
    "building_permit",
    "criminal_record",
)


@pytest.fixture
def database_url(sqlite_url) -> str:
    """The per-model sweep runs on SQLite only; the PostgreSQL run is in test_catalog_postgres.py."""
    return sqlite_url


def test_the_catalog_has_both_variants_of_every_procedure():
    assert sorted(MODELS) == sorted((code, v) for code in PROCEDURE_CODES for v in ("as-is", "to-be"))


@pytest.mark.parametrize(("procedure", "variant"), MODELS)
def test_every_model_validates_without_errors_or_warnings(ctx, procedure, variant):
    result = services.validate_models(ctx, model_files(procedure, variant))
    assert result.ok, [str(d) for d in result.errors]
    assert not result.warnings, [str(d) for d in result.warnings]
    assert result.process.process_id == f"{procedure}_{variant.replace('-', '_')}"


def test_to_be_models_need_the_population_operators(ctx):
    """An installation without the registry's operators names the missing operator."""
    from engine.bpmn.operators import default_operators
    from engine.bpmn.rules import RuleContext
    from engine.bpmn.validation import validate

    without_registry = RuleContext(
        known_operators=default_operators().names(), allowed_names=ctx.runtime.policy.allowed_names
    )
    result = validate(model_files("birth_registration", "to-be"), context=without_registry)
    assert {d.code for d in result.errors} == {"operator-unknown"}
    assert "population.lookup" in str(result.errors[0])


def test_to_be_models_call_the_population_operators_and_nothing_else():
    """A to-be model depends on the registry through exactly the population look-up operators."""
    from engine.bpmn.rules import RuleContext
    from engine.bpmn.validation import validate

    used = set()
    for procedure, variant in MODELS:
        result = validate(
            list(model_files(procedure, variant)), context=RuleContext(known_operators=frozenset())
        )
        assert {d.code for d in result.errors} <= {"operator-unknown"}
        names = {d.message.split("'")[1] for d in result.errors}
        assert (variant == "to-be") == bool(names), (procedure, variant)
        used |= names
    assert used == set(POPULATION_OPERATORS) - {"population.parents"}


@pytest.mark.parametrize(("procedure", "variant"), MODELS)
def test_every_model_runs_the_fast_path_end_to_end(ctx, officers, registry, procedure, variant):
    detail, done, events = run(ctx, officers, procedure, variant)
    assert detail.dossier.run_state == "completed"
    assert events == ["accepted", "result_ready", "returned"]
    ending = (
        ["stamp", "transfer_result", "return_result"] if variant == "as-is" else ["stamp", "return_result"]
    )
    assert done[-len(ending) :] == ending
    stages = [t.stage for t in detail.tasks]
    assert stages[0] == "intake" and stages[-2:] == ["stamping", "return"]
    assert {"appraisal", "approval"} <= set(stages)
    if variant == "as-is":
        assert "transfer_same_day" in done and not registry.calls
    else:
        assert "verify_registry" not in done and not any(t.startswith("transfer") for t in done)
        assert registry.calls and all(c.params["id_number"] for c in registry.calls)


@pytest.mark.parametrize("procedure", ["birth_registration", "permanent_residence", "building_permit"])
def test_as_is_after_15h_goes_to_the_next_morning_hand_over(ctx, officers, procedure):
    detail, done, _ = run(
        ctx, officers, procedure, "as-is", {"intake_paper": {"received_after_cutoff": True}}
    )
    assert detail.dossier.run_state == "completed"
    assert "transfer_next_morning" in done and "transfer_same_day" not in done


@pytest.mark.parametrize(
    ("procedure", "variant"),
    [("birth_registration", "as-is"), ("building_permit", "to-be"), ("child_under6_bundle", "to-be")],
)
def test_a_supplement_request_loops_back_to_appraisal(ctx, officers, procedure, variant):
    last_step = {"building_permit": "site_inspection", "child_under6_bundle": "appraise_insurance"}.get(
        procedure, "appraise"
    )
    supplement = {"appraisal_result": "supplement", "supplement_request": "Bản sao giấy chứng sinh"}
    detail, done, events = run(ctx, officers, procedure, variant, {last_step: [supplement]})
    assert detail.dossier.run_state == "completed"
    assert events == ["accepted", "supplement_requested", "supplement_received", "result_ready", "returned"]
    assert done.count(last_step) == 2
    assert done.index("receive_supplement") < len(done) - 1 - done[::-1].index(last_step)


@pytest.mark.parametrize(
    ("procedure", "variant"), [("death_registration", "to-be"), ("marriage_registration", "as-is")]
)
def test_a_refused_dossier_ends_at_reception(ctx, officers, procedure, variant):
    intake = "intake" if variant == "to-be" else "intake_paper"
    refuse = {"intake_decision": "refuse", "refusal_reason": "Hồ sơ không thuộc thẩm quyền"}
    detail, done, events = run(ctx, officers, procedure, variant, {intake: refuse})
    assert detail.dossier.run_state == "completed"
    assert done == [intake] and events == ["refused"]


def test_rejection_after_appraisal_is_returned_as_a_result(ctx, officers):
    reject = {"appraisal_result": "reject", "rejection_reason": "Có án tích chưa được xoá"}
    detail, done, events = run(ctx, officers, "criminal_record", "to-be", {"appraise": reject})
    assert detail.dossier.run_state == "completed"
    assert events == ["accepted", "rejected", "returned"]
    assert "approve" not in done and "stamp" not in done and done[-1] == "return_result"


def test_the_approver_can_reject(ctx, officers):
    reject = {"approval_result": "reject", "rejection_reason": "Công trình vi phạm chỉ giới xây dựng"}
    detail, done, events = run(ctx, officers, "building_permit", "as-is", {"approve": reject})
    assert events == ["accepted", "rejected", "returned"] and "stamp" not in done


def test_a_registry_mismatch_goes_to_verification(ctx, officers, registry):
    registry.outcomes["001090012345"] = "mismatch"
    detail, done, events = run(ctx, officers, "birth_registration", "to-be")
    assert detail.dossier.run_state == "completed"
    assert done[:2] == ["intake", "verify_registry"] and events == ["accepted", "result_ready", "returned"]
    verify = next(t for t in detail.tasks if t.bpmn_id == "verify_registry")
    assert verify.role == "appraiser" and verify.stage == "appraisal"


@pytest.mark.parametrize("status", ["not_found", "unavailable", "deceased"])
def test_an_unverifiable_person_gets_a_paper_document_request(ctx, officers, registry, status):
    registry.outcomes["001192054321"] = status  # the second party of the marriage
    choices = {"verify_registry": {"verified": False, "verification_note": "Không xác minh được"}}
    detail, done, events = run(ctx, officers, "marriage_registration", "to-be", choices)
    assert detail.dossier.run_state == "completed"
    assert events == ["accepted", "supplement_requested", "supplement_received", "result_ready", "returned"]
    assert done[:3] == ["intake", "verify_registry", "receive_supplement"]


def test_intake_fields_are_prefilled_from_the_registry(ctx, officers):
    """The officer does not retype what the registry confirmed: those fields may be left out."""
    omitted = {"applicant_full_name": None, "applicant_date_of_birth": None, "applicant_id_number": None}
    services.deploy(ctx, model_files("criminal_record", "to-be"))
    from .driver import AGENCY, form_example, submit_example

    dossier = services.submit_dossier(ctx, "criminal_record_to_be", AGENCY, submit_example("criminal_record"))
    task = next(t for t in services.get_dossier(ctx, dossier.id).tasks if t.state == "open")
    data = {k: v for k, v in form_example(task.form).items() if k not in omitted}
    done = services.complete_task(ctx, task.id, officers["intake"], data)
    assert done.task.state == "completed"
