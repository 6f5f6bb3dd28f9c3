"""The simulator on real BPMN: constructs, reproducibility, calendars and refusals."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from engine.simulation import SimulationInputError, load_scenario, run, summary
from engine.simulation.model import load_model
from tests.bpmn_snippets import as_file, document

FIXTURES = Path(__file__).parents[1] / "fixtures"
FIVE_STAGE = FIXTURES / "bpmn" / "five_stage.bpmn"


def five_stage_scenario(**extra) -> dict:
    return {
        "arrivals": {"per_day": 30},
        "limit": {"amount": 1, "unit": "working_days"},
        "resources": {"intake_officer": 2, "appraiser": 2, "approver": 1, "clerk": 1},
        "durations": {
            "stages": {
                "intake": {"type": "lognormal", "mean": 15, "sd": 5},
                "appraisal": {"type": "gamma", "mean": 25, "sd": 10},
                "approval": {"type": "triangular", "min": 5, "mode": 10, "max": 20},
                "stamping": {"type": "uniform", "min": 2, "max": 4},
                "return": {"type": "normal", "mean": 5, "sd": 1},
            }
        },
        "branches": {"decide": {"f_ok": 0.9, "f_reject": 0.1}},
        **extra,
    }


@pytest.fixture(scope="module")
def five_stage():
    return load_model(FIVE_STAGE)


def test_same_seed_same_result_and_different_seed_differs(five_stage):
    sc = load_scenario(five_stage_scenario())
    a = run(five_stage, sc, cases=500, replications=2, seed=42)
    b = run(five_stage, sc, cases=500, replications=2, seed=42)
    c = run(five_stage, sc, cases=500, replications=2, seed=43)
    assert np.array_equal(a.reps[0].ends, b.reps[0].ends)
    assert summary(a)["kpis"]["cycle_time"] == summary(b)["kpis"]["cycle_time"]
    assert not np.array_equal(a.reps[0].ends, c.reps[0].ends)


def test_officers_work_only_in_working_hours_and_never_on_holidays(five_stage):
    holidays = ["2026-01-07", "2026-01-08"]
    sc = load_scenario(
        five_stage_scenario(
            calendars={"centre": {"periods": [["07:30", "11:30"], ["13:00", "17:00"]], "holidays": holidays}},
            default_calendar="centre",
            arrivals={"per_day": 30, "calendar": "centre"},
        )
    )
    result = run(five_stage, sc, cases=400, replications=1, seed=1, log=True)
    origin = sc.start.date()
    periods = [(7.5 * 3600, 11.5 * 3600), (13 * 3600, 17 * 3600)]
    # an independent check: count, second by second of each task, the time that falls in working hours
    worked = 0
    for _case, _node, _enq, start, end, _cancelled, work in result.reps[0].log:
        if end <= start:
            continue
        worked += 1
        inside, s = 0.0, start
        while s < end:
            day = int(s // 86400)
            d = date.fromordinal(origin.toordinal() + day)
            open_day = d.weekday() < 5 and d.isoformat() not in holidays
            nxt = min(end, (day + 1) * 86400)
            if open_day:
                for a, b in periods:
                    lo, hi = max(s, day * 86400 + a), min(nxt, day * 86400 + b)
                    inside += max(0.0, hi - lo)
            s = nxt
        # all of the task's work lies in working time: none before, after, at lunch or on holidays
        assert inside == pytest.approx(work, abs=1e-3)
        day = int(start // 86400)
        within = start - day * 86400
        assert any(a - 1e-6 <= within <= b + 1e-6 for a, b in periods), within / 3600
    assert worked > 0
    # the holidays pushed work into the following days: nothing was started on 7-8 January
    starts = {int(s // 86400) for _c, _n, _q, s, e, _x, _w in result.reps[0].log if e > s}
    assert 2 not in starts and 3 not in starts


def test_statutory_limit_shares_and_compliance_cost(five_stage):
    sc = load_scenario(
        five_stage_scenario(
            citizen={
                "hourly_income_vnd": 30000,
                "travel_cost_vnd": 20000,
                "copy_cost_vnd": 2000,
                "annual_applicants": 1000,
                "per_case": {"trips": 1, "hours": 2, "copies": 3},
                "steps": {"stage:return": {"trips": 1, "hours": 1}},
            }
        )
    )
    k = summary(run(five_stage, sc, cases=800, replications=3, seed=2))["kpis"]
    shares = k["share_before"]["mean"] + k["share_on"]["mean"] + k["share_after"]["mean"]
    assert shares == pytest.approx(1.0)
    assert k["trips"]["mean"] == pytest.approx(2.0)
    # 3 h x 30,000 + 2 trips x 20,000 + 3 copies x 2,000
    assert k["compliance_cost_vnd"]["mean"] == pytest.approx(90000 + 40000 + 6000)
    assert k["compliance_cost_vnd_per_year"]["mean"] == pytest.approx(136000 * 1000)


CONSTRUCTS_SCENARIO = {
    "arrivals": {"interarrival": {"type": "exponential", "mean": 2, "unit": "hours"}},
    "default_calendar": "always",
    "resources": {
        "intake_officer": {"count": 2, "calendar": "always"},
        "appraiser": {"count": 3, "calendar": "always"},
    },
    "durations": {
        "roles": {"intake_officer": {"type": "exponential", "mean": 30}, "appraiser": 20},
        "types": {"manual": 5},
    },
    "branches": {"os": {"fo1": 0.7, "fo2": 0.6}, "x": {"fx1": 0.2, "fx2": 0.8}},
    "events": {"wait_msg": {"delay": {"type": "exponential", "mean": 1, "unit": "days"}, "probability": 1}},
}


def test_every_construct_of_the_rich_model_runs_to_completion():
    model = load_model(FIXTURES / "simulation" / "constructs.bpmn", "p")
    result = run(model, load_scenario(CONSTRUCTS_SCENARIO), cases=300, replications=2, seed=9, log=True)
    s = summary(result)
    assert s["kpis"]["unfinished"]["mean"] == 0
    steps = {st["id"]: st for st in s["steps"]}
    # sequential multi-instance of 3, the loop back (20 %) repeats t1, sub-process and call activity run
    assert steps["mi"]["per_case"]["mean"] == pytest.approx(3 * steps["t2"]["per_case"]["mean"])
    assert steps["t1"]["per_case"]["mean"] > 1.05
    assert steps["sp_t"]["per_case"]["mean"] > 0 and steps["c_t"]["per_case"]["mean"] > 0
    # the non-interrupting 2 h reminder fires on some intakes only
    assert 0 < steps["remind"]["per_case"]["mean"] < steps["t1"]["per_case"]["mean"]
    # the event-based gateway: the message (mean 1 day) usually beats the 3-day timer
    assert steps["c_t"]["per_case"]["mean"] > 0.5


def test_a_missing_branch_probability_is_refused_with_the_gateway_named(five_stage):
    raw = five_stage_scenario()
    del raw["branches"]
    with pytest.raises(SimulationInputError, match="decide"):
        run(five_stage, load_scenario(raw), cases=10, replications=1)


def test_missing_durations_and_roles_are_named(five_stage):
    raw = five_stage_scenario()
    raw["durations"] = {"stages": {"intake": 10}}
    del raw["resources"]["clerk"]
    with pytest.raises(SimulationInputError) as info:
        run(five_stage, load_scenario(raw), cases=10, replications=1)
    assert "stamp" in info.value.message and "clerk" in info.value.message


def test_error_boundary_events_are_refused_not_simplified():
    body = """
<bpmn:startEvent id="start"/><bpmn:task id="t"/>
<bpmn:boundaryEvent id="err" attachedToRef="t"><bpmn:errorEventDefinition/></bpmn:boundaryEvent>
<bpmn:endEvent id="end"/><bpmn:endEvent id="end2"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="t"/><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="end"/>
<bpmn:sequenceFlow id="f3" sourceRef="err" targetRef="end2"/>"""
    model = load_model([as_file(document(body))])
    sc = load_scenario({"arrivals": {"per_day": 1}, "durations": {"default": 1}})
    with pytest.raises(SimulationInputError, match="err"):
        run(model, sc, cases=5, replications=1)


def test_interrupting_timer_cancels_the_task_and_frees_the_officer():
    body = """
<bpmn:laneSet id="ls"><bpmn:lane id="L" name="appraiser"><bpmn:flowNodeRef>t</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
<bpmn:startEvent id="start"/><bpmn:userTask id="t"/>
<bpmn:boundaryEvent id="late" attachedToRef="t"><bpmn:timerEventDefinition><bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
<bpmn:endEvent id="end"/><bpmn:endEvent id="escalated"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="t"/><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="end"/>
<bpmn:sequenceFlow id="f3" sourceRef="late" targetRef="escalated"/>"""
    model = load_model([as_file(document(body))])
    sc = load_scenario(
        {
            "arrivals": {"interarrival": {"type": "fixed", "value": 3, "unit": "hours"}},
            "default_calendar": "always",
            "resources": {"appraiser": {"count": 1, "calendar": "always"}},
            "durations": {"tasks": {"t": {"type": "fixed", "value": 2, "unit": "hours"}}},
        }
    )
    result = run(model, sc, cases=20, replications=1, log=True)
    cycle = result.reps[0].ends - result.reps[0].arrivals
    assert np.allclose(cycle, 3600)  # every case leaves through the 1 h timer
    assert all(row[5] for row in result.reps[0].log)  # and each task was cancelled
    assert all(row[6] == pytest.approx(3600) for row in result.reps[0].log)  # after 1 h of work


def _always(resources: dict, durations: dict, every_hours: float = 3) -> object:
    return load_scenario(
        {
            "arrivals": {"interarrival": {"type": "fixed", "value": every_hours, "unit": "hours"}},
            "default_calendar": "always",
            "resources": {role: {"count": n, "calendar": "always"} for role, n in resources.items()},
            "durations": {"tasks": durations},
        }
    )


def test_an_interrupting_timer_on_a_sub_process_cancels_the_work_inside():
    body = """
<bpmn:laneSet id="ls"><bpmn:lane id="L" name="appraiser"><bpmn:flowNodeRef>inner</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
<bpmn:startEvent id="start"/>
<bpmn:subProcess id="sp"><bpmn:startEvent id="s2"/><bpmn:userTask id="inner"/><bpmn:endEvent id="e2"/>
<bpmn:sequenceFlow id="g1" sourceRef="s2" targetRef="inner"/><bpmn:sequenceFlow id="g2" sourceRef="inner" targetRef="e2"/></bpmn:subProcess>
<bpmn:boundaryEvent id="late" attachedToRef="sp"><bpmn:timerEventDefinition><bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
<bpmn:endEvent id="end"/><bpmn:endEvent id="escalated"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="sp"/><bpmn:sequenceFlow id="f2" sourceRef="sp" targetRef="end"/>
<bpmn:sequenceFlow id="f3" sourceRef="late" targetRef="escalated"/>"""
    model = load_model([as_file(document(body))])
    sc = _always({"appraiser": 1}, {"inner": {"type": "fixed", "value": 2, "unit": "hours"}})
    result = run(model, sc, cases=10, replications=1, log=True)
    assert np.allclose(result.reps[0].ends - result.reps[0].arrivals, 3600)
    # the officer stops after 1 h each time: busy 1 h in every 3 h
    assert summary(result)["roles"][0]["utilisation"]["mean"] == pytest.approx(1 / 3, rel=0.05)


def test_a_terminate_end_event_ends_the_case_and_its_other_branch():
    body = """
<bpmn:laneSet id="ls"><bpmn:lane id="L" name="clerk"><bpmn:flowNodeRef>slow</bpmn:flowNodeRef><bpmn:flowNodeRef>quick</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
<bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>
<bpmn:userTask id="slow"/><bpmn:userTask id="quick"/>
<bpmn:endEvent id="end"/><bpmn:endEvent id="stop"><bpmn:terminateEventDefinition/></bpmn:endEvent>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fork"/>
<bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="slow"/><bpmn:sequenceFlow id="f3" sourceRef="fork" targetRef="quick"/>
<bpmn:sequenceFlow id="f4" sourceRef="slow" targetRef="end"/><bpmn:sequenceFlow id="f5" sourceRef="quick" targetRef="stop"/>"""
    model = load_model([as_file(document(body))])
    sc = _always(
        {"clerk": 2},
        {"slow": {"type": "fixed", "value": 2, "unit": "hours"}, "quick": {"type": "fixed", "value": 30}},
    )
    result = run(model, sc, cases=10, replications=1, log=True)
    assert np.allclose(result.reps[0].ends - result.reps[0].arrivals, 1800)
    s = summary(result)
    assert s["kpis"]["unfinished"]["mean"] == 0
    # the slow task is stopped with the case: 30 min of each clerk-pair's 6 clerk-hours per case, twice
    assert s["roles"][0]["utilisation"]["mean"] == pytest.approx(1 / 6, rel=0.05)
