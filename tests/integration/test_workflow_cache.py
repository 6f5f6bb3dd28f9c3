"""Restored workflows are reused between steps only while the database still holds that state."""

from __future__ import annotations

import pytest

from engine import services
from tests.conftest import AGENCY, fixture_file
from tests.integration.test_dossier_flow import STAGES, _only_task


def _complete(ctx, officers, dossier_id, role, data):
    task = _only_task(ctx, officers[role], dossier_id)
    return services.complete_task(ctx, task.id, officers[role], data)


def test_two_processes_taking_turns_on_one_dossier_see_each_others_steps(
    make_context, database_url, officers
):
    web, worker = make_context(database_url), make_context(database_url)
    services.deploy(web, [fixture_file("five_stage.bpmn")])
    dossier = services.submit_dossier(web, "five_stage", AGENCY, {"exempt": False}, officers["intake"])
    assert len(web.workflows) == 1  # kept after the submission committed

    turns = [web, worker, web, worker, web]
    for ctx, (role, stage) in zip(turns, STAGES, strict=True):
        result = _complete(ctx, officers, dossier.id, role, {"complete": True, f"{stage}_by": ctx is web})
    assert result.dossier.run_state == "completed"

    detail = services.get_dossier(web, dossier.id)
    completed = [e.activity for e in detail.events if e.lifecycle == "complete" and e.actor != "system"]
    assert completed == ["intake", "appraise", "approve", "stamp", "return"]
    assert [t.state for t in detail.tasks] == ["completed"] * 5


class FailOnce:
    def __init__(self) -> None:
        self.failed = False

    def after_run(self, ctx, session, dossier, outcome, actor) -> None:
        if not self.failed:
            self.failed = True
            raise RuntimeError("the notification service is down")


def test_a_step_that_rolls_back_leaves_nothing_behind_in_memory(make_context, database_url, officers):
    ctx = make_context(database_url)
    services.deploy(ctx, [fixture_file("five_stage.bpmn")])
    dossier = services.submit_dossier(ctx, "five_stage", AGENCY, {"exempt": True}, officers["intake"])
    ctx.listeners.append(FailOnce())
    with pytest.raises(RuntimeError, match="notification"):
        _complete(ctx, officers, dossier.id, "intake", {"complete": True})

    # The intake task is still open and completes normally: the half-run workflow was not reused.
    _complete(ctx, officers, dossier.id, "intake", {"complete": True})
    detail = services.get_dossier(ctx, dossier.id)
    assert [e.lifecycle for e in detail.events if e.activity == "intake"] == ["start", "complete"]
    assert [(t.stage, t.state) for t in detail.tasks] == [("intake", "completed"), ("appraisal", "open")]
