"""The simulator against queueing theory: M/M/1, M/M/c (Erlang C), M/D/1 and Little's law."""

from __future__ import annotations

import math

import pytest

from engine.simulation import load_scenario, run, summary
from engine.simulation.model import load_model
from tests.bpmn_snippets import as_file

SINGLE_STEP = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs" targetNamespace="http://motcua.vn/test">
<bpmn:process id="queue" isExecutable="true">
<bpmn:laneSet id="ls"><bpmn:lane id="L" name="server"><bpmn:flowNodeRef>serve</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
<bpmn:startEvent id="start"/>
<bpmn:task id="serve"/>
<bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="serve"/>
<bpmn:sequenceFlow id="f2" sourceRef="serve" targetRef="end"/>
</bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture(scope="module")
def single_step():
    return load_model([as_file(SINGLE_STEP)])


def scenario(rate: float, servers: int, service: dict) -> object:
    return load_scenario(
        {
            "arrivals": {"interarrival": {"type": "exponential", "mean": 1 / rate, "unit": "seconds"}},
            "default_calendar": "always",
            "resources": {"server": {"count": servers, "calendar": "always"}},
            "durations": {"tasks": {"serve": {**service, "unit": "seconds"}}},
        }
    )


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    a = lam / mu
    rho = a / c
    top = a**c / math.factorial(c) / (1 - rho)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait / (c * mu - lam)


def waiting(result) -> dict:
    return next(s for s in summary(result)["steps"] if s["id"] == "serve")["waiting"]


def check(result, expected: float) -> None:
    w = waiting(result)
    assert w["low"] <= expected <= w["high"], (w, expected)
    assert abs(w["mean"] - expected) / expected < 0.02, (w, expected)


def test_mm1_mean_wait_matches_theory(single_step):
    lam, mu = 0.5, 1.0
    result = run(single_step, scenario(lam, 1, {"type": "exponential", "mean": 1}), cases=30000,
                 replications=10, seed=7, warmup=2000)  # fmt: skip
    check(result, lam / (mu * (mu - lam)))


def test_mmc_mean_wait_matches_erlang_c(single_step):
    lam, mu, c = 1.2, 1.0, 2
    result = run(single_step, scenario(lam, c, {"type": "exponential", "mean": 1}), cases=50000,
                 replications=20, seed=11, warmup=2000)  # fmt: skip
    check(result, erlang_c_wait(lam, mu, c))


def test_md1_matches_pollaczek_khinchine(single_step):
    lam, d = 0.5, 1.0
    rho = lam * d
    result = run(single_step, scenario(lam, 1, {"type": "fixed", "value": d}), cases=30000,
                 replications=10, seed=3, warmup=2000)  # fmt: skip
    check(result, lam * d * d / (2 * (1 - rho)))


def test_littles_law_holds(single_step):
    lam = 0.8
    result = run(single_step, scenario(lam, 1, {"type": "exponential", "mean": 1}), cases=20000,
                 replications=4, seed=5, warmup=0)  # fmt: skip
    for rep, kpis in zip(result.reps, result.kpis, strict=True):
        span = rep.window[1] - rep.window[0]
        lam_hat = kpis["completed"] / span  # L = lambda * W: the run starts and ends empty
        assert kpis["wip"] == pytest.approx(lam_hat * kpis["cycle_time"], rel=0.01)
