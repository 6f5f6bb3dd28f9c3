"""Scenario features: data conditions, inclusive and multi-instance constructs, Prosimos parameters,
common random numbers and calibration from a log."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine.simulation import SimulationInputError, comparison, load_scenario, run, summary
from engine.simulation.calibrate import calibrate, read_log
from engine.simulation.model import load_model
from engine.simulation.prosimos import load_prosimos
from engine.simulation.report import html_report, write_event_log
from tests.bpmn_snippets import as_file, document

ROOT = Path(__file__).parents[2]
FIVE_STAGE = ROOT / "tests" / "fixtures" / "bpmn" / "five_stage.bpmn"
AS_IS = json.loads((ROOT / "docs" / "simulation-examples" / "five_stage.as-is.json").read_text())
TO_BE = json.loads((ROOT / "docs" / "simulation-examples" / "five_stage.to-be.json").read_text())


def test_data_conditions_drive_the_gateway_through_the_models_own_script():
    # the five-stage model computes `recommendation` in a script from `complete`; no branch table
    raw = dict(AS_IS)
    raw.pop("branches")
    raw["data"] = {"complete": {"values": [True, False], "weights": [0.75, 0.25]}, "exempt": False}
    s = summary(run(load_model(FIVE_STAGE), load_scenario(raw), cases=2000, replications=2, seed=4))
    approve = next(st for st in s["steps"] if st["id"] == "approve")
    assert approve["per_case"]["mean"] == pytest.approx(0.75, abs=0.03)


def test_a_script_that_needs_missing_data_stops_with_the_task_named():
    raw = dict(AS_IS)
    raw.pop("branches")
    raw["data"] = {"exempt": False}  # `complete` is missing
    with pytest.raises(SimulationInputError, match="fee"):
        run(load_model(FIVE_STAGE), load_scenario(raw), cases=10, replications=1)


INCLUSIVE_AND_PARALLEL_MI = """
<bpmn:laneSet id="ls"><bpmn:lane id="L" name="appraiser"><bpmn:flowNodeRef>a</bpmn:flowNodeRef><bpmn:flowNodeRef>b</bpmn:flowNodeRef><bpmn:flowNodeRef>each</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
<bpmn:startEvent id="start"/>
<bpmn:inclusiveGateway id="split"/>
<bpmn:userTask id="a"/><bpmn:userTask id="b"/>
<bpmn:inclusiveGateway id="join"/>
<bpmn:userTask id="each"><bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>n_parents</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>
<bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="split"/>
<bpmn:sequenceFlow id="fa" sourceRef="split" targetRef="a"><bpmn:conditionExpression>x</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="fb" sourceRef="split" targetRef="b"><bpmn:conditionExpression>y</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="fa2" sourceRef="a" targetRef="join"/>
<bpmn:sequenceFlow id="fb2" sourceRef="b" targetRef="join"/>
<bpmn:sequenceFlow id="fj" sourceRef="join" targetRef="each"/>
<bpmn:sequenceFlow id="fe" sourceRef="each" targetRef="end"/>
"""


def test_inclusive_split_and_join_and_parallel_multi_instance():
    model = load_model([as_file(document(INCLUSIVE_AND_PARALLEL_MI))])
    raw = {
        "arrivals": {"interarrival": {"type": "exponential", "mean": 4, "unit": "hours"}},
        "default_calendar": "always",
        "resources": {"appraiser": {"count": 4, "calendar": "always"}},
        "durations": {"roles": {"appraiser": {"type": "exponential", "mean": 30}}},
        "branches": {"split": {"fa": 0.5, "fb": 0.5}},
    }
    with pytest.raises(SimulationInputError, match="multi_instance.each"):
        run(model, load_scenario(raw), cases=10, replications=1)
    raw["multi_instance"] = {"each": {"type": "histogram", "values": [1, 2], "weights": [0.5, 0.5]}}
    s = summary(run(model, load_scenario(raw), cases=3000, replications=2, seed=8))
    steps = {st["id"]: st["per_case"]["mean"] for st in s["steps"]}
    assert s["kpis"]["unfinished"]["mean"] == 0
    # each flow with probability 1/2, the default when none: P(a) = 1/2 + 1/8 (neither: the most likely)
    assert steps["a"] + steps["b"] == pytest.approx(1.25, abs=0.05)
    assert steps["each"] == pytest.approx(1.5, abs=0.05)


def test_compare_on_common_random_numbers_reports_savings():
    model = load_model(FIVE_STAGE)
    sc_as_is, sc_to_be = load_scenario(AS_IS), load_scenario(TO_BE)
    a = run(model, sc_as_is, cases=600, replications=4, seed=3)
    same = run(model, sc_as_is, cases=600, replications=4, seed=3)
    b = run(model, sc_to_be, cases=600, replications=4, seed=3)
    assert np.array_equal(np.sort(a.reps[1].arrivals), np.sort(b.reps[1].arrivals))  # same arrivals
    c = comparison(a, b)
    assert c["difference"]["cycle_time"]["mean"] < 0
    assert c["difference"]["trips"]["mean"] == pytest.approx(-1.0)
    saved = c["social_cost_saved_vnd_per_year"]
    # 1 trip, 2.25 h and 3 copies less per case, 12,000 applicants a year
    assert saved["mean"] == pytest.approx((25000 + 2.25 * 30000 + 3 * 2000) * 12000)
    assert comparison(a, same)["difference"]["cycle_time"]["half_width"] == 0
    page = html_report(comparison=c)
    assert page.startswith("<!doctype html>") and "<svg" in page
    assert "src=" not in page and "<link" not in page  # self-contained


def test_prosimos_parameters_give_the_same_model_a_scenario():
    fixtures = ROOT / "benchmarks" / "fixtures"
    sc = load_prosimos(fixtures / "loan.prosimos.json")
    assert sc.resources["officer"].count == 4 and sum(r.count for r in sc.resources.values()) == 15
    s = summary(run(load_model(fixtures / "loan.bpmn"), sc, cases=1000, replications=2, seed=1))
    steps = {st["id"]: st["per_case"]["mean"] for st in s["steps"]}
    assert steps["T9"] == pytest.approx(0.85, abs=0.05)
    assert steps["T2"] == pytest.approx(1 / 0.8, abs=0.06)  # the completeness loop
    with pytest.raises(SimulationInputError, match="batch_processing"):
        load_prosimos({**json.loads((fixtures / "loan.prosimos.json").read_text()), "batch_processing": [{}]})


def test_calibration_reproduces_the_log_it_was_fitted_on(tmp_path):
    model = load_model(FIVE_STAGE)
    raw = dict(AS_IS, default_calendar="always", arrivals={"per_day": 20, "calendar": "always"})
    raw["resources"] = {k: dict(v, calendar="always") for k, v in AS_IS["resources"].items()}
    result = run(model, load_scenario(raw), cases=800, replications=1, seed=5, log=True)
    log = tmp_path / "log.csv"
    with log.open("w", newline="") as handle:
        write_event_log(result, handle)
    assert len(read_log(log)) == len(result.reps[0].log)
    fitted = calibrate(log, model, seed=2)
    fit = fitted["fit"]
    assert fitted["scenario"]["branches"]["decide"]["approve"] == pytest.approx(0.92, abs=0.04)
    assert fit["ks_distance"] < 0.25
    assert fit["simulated_cycle_time_mean"] == pytest.approx(fit["log_cycle_time_mean"], rel=0.35)
    per_case = {a["activity"]: a for a in fit["activities"]}
    assert per_case["approve"]["simulated_per_case"] == pytest.approx(
        per_case["approve"]["log_per_case"], abs=0.05
    )


def test_prosimos_working_calendars_become_officer_calendars():
    raw = json.loads((ROOT / "benchmarks" / "fixtures" / "loan.prosimos.json").read_text())
    office = [{"from": "MONDAY", "to": "FRIDAY", "beginTime": "09:00:00", "endTime": "17:00:00"}]
    raw["resource_calendars"] = [{"id": "always", "name": "office hours", "time_periods": office}]
    sc = load_prosimos(raw)
    assert {r.calendar for r in sc.resources.values()} == {"prosimos:always"}
    assert sc.arrival_calendar == "always"  # the arrival calendar is still 24/7
    with pytest.raises(SimulationInputError, match="built-in"):
        load_scenario({"arrivals": {"per_day": 1}, "calendars": {"weekday": {}}})


def test_an_xes_log_is_read_with_start_and_complete_events(tmp_path):
    xes = tmp_path / "log.xes"
    xes.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><log xes.version="1.0">'
        '<trace><string key="concept:name" value="c1"/>'
        '<event><string key="concept:name" value="intake"/><string key="lifecycle:transition" value="start"/>'
        '<date key="time:timestamp" value="2026-01-05T08:00:00+07:00"/></event>'
        '<event><string key="concept:name" value="intake"/><string key="lifecycle:transition" value="complete"/>'
        '<date key="time:timestamp" value="2026-01-05T08:20:00+07:00"/></event>'
        '<event><string key="concept:name" value="return"/>'
        '<date key="time:timestamp" value="2026-01-05T09:00:00+07:00"/></event>'
        "</trace></log>"
    )
    rows = read_log(xes)
    assert [(c, a, e - s) for c, a, s, e in rows] == [("c1", "intake", 1200.0), ("c1", "return", 0.0)]
