"""The supervisor's figures on SQLite and PostgreSQL: counts per procedure, stage and state, and the
overdue tasks, scoped to the supervisor's agency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine import services
from engine.clock import ManualClock
from engine.services.dashboard import agency_figures, overdue_tasks
from tests.conftest import AGENCY, OTHER_AGENCY, fixture_file


def test_figures_count_open_and_overdue_work_of_my_agency_only(ctx, officers):
    clock = ManualClock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))  # Monday 08:00 in Hà Nội
    ctx.clock = clock
    services.deploy(ctx, [fixture_file("five_stage.bpmn")])
    first = services.submit_dossier(ctx, "five_stage", AGENCY, {"exempt": True}, officers["intake"])
    task = next(t for t in services.list_tasks(ctx, officers["intake"]) if t.dossier_id == first.id)
    services.complete_task(ctx, task.id, officers["intake"], {"complete": True})
    services.submit_dossier(ctx, "five_stage", AGENCY, {"exempt": True}, officers["intake"])
    services.submit_dossier(ctx, "five_stage", OTHER_AGENCY, {}, officers["other_intake"])
    clock.advance(timedelta(hours=2, minutes=30))  # the intake (2 h) is late, the appraisal (3 h) not yet

    figures = agency_figures(ctx, officers["supervisor"])
    assert figures.procedures == ["five_stage"]
    assert {(c.key, c.count) for c in figures.open_tasks_by_stage} == {("intake", 1), ("appraisal", 1)}
    assert {(c.key, c.count) for c in figures.overdue_tasks_by_stage} == {("intake", 1), ("appraisal", 0)}
    assert [(c.key, c.count) for c in figures.dossiers_by_state] == [("running", 2)]
    assert sum(c.count for c in figures.dossiers_by_status) == 2

    late = overdue_tasks(ctx, officers["supervisor"])
    assert [(t.stage, t.agency_code) for t in late] == [("intake", AGENCY)]
    assert overdue_tasks(ctx, officers["other_intake"])[0].agency_code == OTHER_AGENCY
