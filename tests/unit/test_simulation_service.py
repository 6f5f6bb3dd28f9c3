"""The run_simulation use case the web and API call."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from engine.bpmn.validation import SourceFile
from engine.calendar import WeekdayCalendar
from engine.errors import InvalidInput
from engine.services.simulation import run_simulation

ROOT = Path(__file__).parents[2]
BPMN = [
    SourceFile("five_stage.bpmn", (ROOT / "tests" / "fixtures" / "bpmn" / "five_stage.bpmn").read_bytes())
]
AS_IS = json.loads((ROOT / "docs" / "simulation-examples" / "five_stage.as-is.json").read_text())


class ClosedFirstWeek(WeekdayCalendar):
    """A project calendar with the first week of January 2026 off."""

    def is_working_day(self, day: date) -> bool:
        return super().is_working_day(day) and not (date(2026, 1, 5) <= day <= date(2026, 1, 9))


def test_the_report_uses_the_projects_calendar():
    plain = run_simulation(None, BPMN, AS_IS, cases=100, replications=1)
    closed = run_simulation(
        SimpleNamespace(calendar=ClosedFirstWeek()), BPMN, AS_IS, cases=100, replications=1
    )
    # arrivals follow the centre's open time, so a closed first week moves every case a week later
    assert closed["kpis"]["cycle_time"]["mean"] != plain["kpis"]["cycle_time"]["mean"]
    assert plain["process_id"] == "five_stage" and plain["steps"]


def test_comparison_and_errors():
    report = run_simulation(None, BPMN, AS_IS, to_be=BPMN, cases=200, replications=2)
    assert set(report) >= {"as_is", "to_be", "difference", "social_cost_saved_vnd_per_year"}
    with pytest.raises(InvalidInput):
        run_simulation(None, BPMN, {"arrivals": {}}, cases=10, replications=1)


def test_progress_counts_every_simulated_case():
    seen: list[int] = []
    run_simulation(None, BPMN, AS_IS, cases=1500, replications=2, progress=seen.append)
    assert sum(seen) == (1500 + AS_IS["warmup_cases"]) * 2
