"""Calibration from the engine's own event log, on SQLite and PostgreSQL."""

from __future__ import annotations

from engine import services
from engine.services.simulation import event_log
from engine.simulation.calibrate import calibrate
from engine.simulation.model import load_model
from tests.conftest import AGENCY, FIXTURES, fixture_file

STEPS = [("intake", {"complete": True}), ("appraiser", {}), ("approver", {}), ("clerk", {}), ("intake", {})]


def test_the_engines_event_log_feeds_calibration(ctx, officers):
    services.deploy(ctx, [fixture_file("five_stage.bpmn")], officers["designer"])
    for n in range(3):
        dossier = services.submit_dossier(
            ctx, "five_stage", AGENCY, {"exempt": False, "applicant_name": f"Người {n}"}, officers["intake"]
        )
        for role, data in STEPS:
            task = next(t for t in services.list_tasks(ctx, officers[role]) if t.dossier_id == dossier.id)
            services.claim_task(ctx, task.id, officers[role])
            services.complete_task(ctx, task.id, officers[role], data)
    rows = event_log(ctx, "five_stage")
    activities = [a for _d, a, _s, _e in rows]
    for step in ("intake", "appraise", "approve", "stamp", "return"):
        assert activities.count(step) == 3
    assert all(start <= end for _d, _a, start, end in rows)
    fitted = calibrate(rows, load_model(FIXTURES / "bpmn" / "five_stage.bpmn"), cases=50)
    assert set(fitted["scenario"]["durations"]["tasks"]) >= {
        "intake",
        "appraise",
        "approve",
        "stamp",
        "return",
    }
    assert fitted["fit"]["log_cases"] == 3
