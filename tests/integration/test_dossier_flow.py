"""A five-stage dossier through the service layer, across a restart, with every step in the log."""

from __future__ import annotations

import pytest

from engine import services
from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tests.bpmn_snippets import as_file, linear
from tests.conftest import AGENCY, fixture_file

STAGES = [
    ("intake", "intake"),
    ("appraiser", "appraisal"),
    ("approver", "approval"),
    ("clerk", "stamping"),
    ("intake", "return"),
]


def _only_task(ctx, officer, dossier_id):
    tasks = [t for t in services.list_tasks(ctx, officer) if t.dossier_id == dossier_id]
    assert len(tasks) == 1, tasks
    return tasks[0]


def test_five_stages_end_to_end_across_a_restart(make_context, database_url, officers):
    first = make_context(database_url)
    services.deploy(first, [fixture_file("five_stage.bpmn")], officers["designer"])
    dossier = services.submit_dossier(
        first, "five_stage", AGENCY, {"exempt": False, "applicant_name": "Lê Thị Hoa"}, officers["intake"]
    )
    assert dossier.run_state == "running" and dossier.applicant_name == "Lê Thị Hoa"

    for role, stage in STAGES[:2]:
        task = _only_task(first, officers[role], dossier.id)
        assert task.stage == stage
        services.claim_task(first, task.id, officers[role])
        services.complete_task(first, task.id, officers[role], {"complete": True, f"{stage}_note": "đủ"})
    first.db.dispose()

    second = make_context(database_url)  # a new process: nothing cached, state reloaded from the database
    for role, stage in STAGES[2:]:
        task = _only_task(second, officers[role], dossier.id)
        assert task.stage == stage
        result = services.complete_task(second, task.id, officers[role], {f"{stage}_note": "xong"})
    assert result.dossier.run_state == "completed"
    assert result.dossier.completed_at is not None

    detail = services.get_dossier(second, dossier.id)
    steps = [(e.activity, e.lifecycle, e.actor) for e in detail.events if e.lifecycle != "claim"]
    assert steps == [
        ("five_stage", "submit", "tiepnhan"),
        ("start", "start", "system"),
        ("start", "complete", "system"),
        ("intake", "start", "system"),
        ("intake", "complete", "tiepnhan"),
        ("appraise", "start", "system"),
        ("appraise", "complete", "thamdinh"),
        ("fee", "start", "system"),
        ("fee", "complete", "system"),
        ("decide", "start", "system"),
        ("decide", "complete", "system"),
        ("approve", "start", "system"),
        ("approve", "complete", "pheduyet"),
        ("stamp", "start", "system"),
        ("stamp", "complete", "vanthu"),
        ("return", "start", "system"),
        ("return", "complete", "tiepnhan"),
        ("end", "start", "system"),
        ("end", "complete", "system"),
    ]
    assert [(e.activity, e.actor) for e in detail.events if e.lifecycle == "claim"] == [
        ("intake", "tiepnhan"),
        ("appraise", "thamdinh"),
    ]
    approve = next(e for e in detail.events if e.activity == "approve" and e.lifecycle == "complete")
    assert (approve.data, approve.role, approve.stage) == ({"approval_note": "xong"}, "approver", "approval")
    fee = next(e for e in detail.events if e.activity == "fee" and e.lifecycle == "complete")
    assert fee.data == {"fee": 8000, "recommendation": "approve"}
    assert [(t.stage, t.state, t.completed_by) for t in detail.tasks] == [
        ("intake", "completed", "tiepnhan"),
        ("appraisal", "completed", "thamdinh"),
        ("approval", "completed", "pheduyet"),
        ("stamping", "completed", "vanthu"),
        ("return", "completed", "tiepnhan"),
    ]
    assert all(e.at.tzinfo is not None for e in detail.events)


def test_roles_and_agencies_are_enforced(ctx, officers):
    services.deploy(ctx, [fixture_file("five_stage.bpmn")])
    dossier = services.submit_dossier(ctx, "five_stage", AGENCY, {"exempt": True}, officers["intake"])
    task = _only_task(ctx, officers["intake"], dossier.id)
    assert services.list_tasks(ctx, officers["appraiser"]) == []
    with pytest.raises(PermissionDenied, match="intake_officer"):
        services.complete_task(ctx, task.id, officers["appraiser"], {})
    assert services.list_tasks(ctx, officers["other_intake"]) == []
    with pytest.raises(NotFound):
        services.claim_task(ctx, task.id, officers["other_intake"])
    with pytest.raises(NotFound):
        services.get_dossier(ctx, dossier.id, viewer=officers["other_intake"])
    with pytest.raises(PermissionDenied):
        services.submit_dossier(ctx, "five_stage", AGENCY, {}, officers["other_intake"])


def test_claims_are_exclusive(ctx, officers):
    services.deploy(ctx, [fixture_file("five_stage.bpmn")])
    services.create_user(ctx, "tiepnhan2", "Second Intake", AGENCY, ["intake_officer"])
    colleague = services.get_user(ctx, "tiepnhan2")
    dossier = services.submit_dossier(ctx, "five_stage", AGENCY, {"exempt": True}, officers["intake"])
    task = _only_task(ctx, officers["intake"], dossier.id)
    services.claim_task(ctx, task.id, officers["intake"])
    assert services.list_tasks(ctx, colleague) == []
    with pytest.raises(Conflict, match="claimed by tiepnhan"):
        services.claim_task(ctx, task.id, colleague)
    with pytest.raises(Conflict, match="claimed by tiepnhan"):
        services.complete_task(ctx, task.id, colleague, {})
    with pytest.raises(PermissionDenied):
        services.release_task(ctx, task.id, colleague)
    assert services.release_task(ctx, task.id, officers["intake"]).assignee is None
    assert services.claim_task(ctx, task.id, colleague).assignee == "tiepnhan2"
    assert [t.id for t in services.list_tasks(ctx, colleague, scope="mine")] == [task.id]
    supervisor = services.create_user(ctx, "giamsat2", "Supervisor", AGENCY, ["supervisor", "intake_officer"])
    assert services.release_task(ctx, task.id, supervisor).assignee is None


def test_completing_twice_is_a_clear_conflict(ctx, officers):
    services.deploy(ctx, [fixture_file("five_stage.bpmn")])
    dossier = services.submit_dossier(ctx, "five_stage", AGENCY, {"exempt": True}, officers["intake"])
    task = _only_task(ctx, officers["intake"], dossier.id)
    services.complete_task(ctx, task.id, officers["intake"], {"complete": True})
    with pytest.raises(Conflict, match="already completed by tiepnhan"):
        services.complete_task(ctx, task.id, officers["intake"], {"complete": True})


@pytest.mark.parametrize("data", [["not", "an", "object"], {"_private": 1}, {"x": object()}])
def test_bad_task_data_is_refused_and_nothing_changes(ctx, officers, data):
    services.deploy(ctx, [fixture_file("five_stage.bpmn")])
    dossier = services.submit_dossier(ctx, "five_stage", AGENCY, {"exempt": True}, officers["intake"])
    task = _only_task(ctx, officers["intake"], dossier.id)
    before = services.get_dossier(ctx, dossier.id)
    with pytest.raises(InvalidInput):
        services.complete_task(ctx, task.id, officers["intake"], data)
    after = services.get_dossier(ctx, dossier.id)
    assert after == before


def test_a_failing_service_task_is_visible_and_retryable(make_context, database_url, officers):
    attempts = []

    def lookup(call):
        attempts.append(call.context.actor)
        if len(attempts) == 1:
            raise TimeoutError("the population registry did not answer within 2 s")
        return {"verified": True}

    ctx = make_context(database_url)
    ctx.operators.register("registry.check", lookup)
    service = (
        '<bpmn:serviceTask id="check" name="Tra cứu CSDL dân cư"><bpmn:extensionElements>'
        '<spiffworkflow:serviceTaskOperator id="registry.check" resultVariable="registry">'
        "<spiffworkflow:parameters/></spiffworkflow:serviceTaskOperator>"
        "</bpmn:extensionElements></bpmn:serviceTask>"
    )
    services.deploy(ctx, [as_file(linear(service, process_id="lookup_flow"))])
    dossier = services.submit_dossier(ctx, "lookup_flow", AGENCY, {}, officers["intake"])
    assert dossier.run_state == "error"
    assert dossier.error_element == "check"
    assert "did not answer" in dossier.error_message
    retried = services.retry_dossier(ctx, dossier.id, officers["intake"])
    assert retried.run_state == "completed" and retried.error_message is None
    lifecycles = [(e.activity, e.lifecycle) for e in services.get_dossier(ctx, dossier.id).events]
    assert ("check", "error") in lifecycles and ("check", "retry") in lifecycles
    assert lifecycles[-1] == ("end", "complete")
    with pytest.raises(Conflict, match="not in error"):
        services.retry_dossier(ctx, dossier.id, officers["intake"])
