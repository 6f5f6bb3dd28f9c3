"""Every catalog procedure ships a scenario for both variants, and it runs on the procedure's models."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.simulation import comparison, load_model, load_scenario, run

PROCESSES = Path(__file__).parents[2] / "processes"
CODES = sorted(p.parent.name for p in PROCESSES.glob("*/scenario.as-is.json"))


def test_every_procedure_has_both_scenarios():
    assert len(CODES) == 8
    for code in CODES:
        for variant in ("as-is", "to-be"):
            sc = load_scenario(PROCESSES / code / f"scenario.{variant}.json")
            assert sc.limit is not None and sc.citizen.annual_applicants > 0
            assert sc.source["sources"], "figures must say where they come from"


@pytest.mark.parametrize("code", CODES)
def test_the_to_be_saves_citizens_cost_on_the_catalog_models(code):
    folder = PROCESSES / code
    if not (folder / "as-is.bpmn").exists() or not (folder / "to-be.bpmn").exists():
        pytest.skip(f"the catalog models of {code} are not in this checkout")
    runs = []
    for variant in ("as-is", "to-be"):
        sc = load_scenario(folder / f"scenario.{variant}.json")
        result = run(load_model(folder / f"{variant}.bpmn"), sc, cases=300, replications=2, seed=1, warmup=30)
        assert sum(r.unfinished for r in result.reps) == 0
        runs.append(result)
    c = comparison(*runs)
    assert c["difference"]["compliance_cost_vnd"]["mean"] < 0
    assert c["social_cost_saved_vnd_per_year"]["mean"] > 0
