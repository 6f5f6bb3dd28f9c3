"""``motcua simulate``, ``compare`` and ``calibrate`` from the shell, each a new process."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
FIVE_STAGE = str(ROOT / "tests" / "fixtures" / "bpmn" / "five_stage.bpmn")
AS_IS = str(ROOT / "docs" / "simulation-examples" / "five_stage.as-is.json")
TO_BE = str(ROOT / "docs" / "simulation-examples" / "five_stage.to-be.json")


def motcua(*args: str, expect: int = 0) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "motcua.cli", *args], capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    assert done.returncode == expect, f"{args} -> {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def test_simulate_writes_json_log_and_report(tmp_path):
    log, report = tmp_path / "log.csv", tmp_path / "report.html"
    out = motcua("simulate", FIVE_STAGE, "--scenario", AS_IS, "--cases", "300", "--replications", "2",
                 "--seed", "5", "--json", "--log", str(log), "--report", str(report))  # fmt: skip
    data = json.loads(out.stdout)
    assert data["settings"] == {**data["settings"], "cases": 300, "replications": 2, "seed": 5}
    assert (
        data["kpis"]["cycle_time"]["low"]
        <= data["kpis"]["cycle_time"]["mean"]
        <= data["kpis"]["cycle_time"]["high"]
    )
    assert {r["role"] for r in data["roles"]} == {"intake_officer", "appraiser", "approver", "clerk"}
    with log.open() as handle:
        rows = list(csv.DictReader(handle))
    assert rows and set(rows[0]) >= {"case_id", "activity_id", "start", "end", "role"}
    assert "<svg" in report.read_text()
    again = json.loads(motcua("simulate", FIVE_STAGE, "--scenario", AS_IS, "--cases", "300", "--replications", "2",
                              "--seed", "5", "--json").stdout)  # fmt: skip
    assert again["kpis"] == data["kpis"]


def test_compare_reports_the_paired_difference_and_yearly_saving(tmp_path):
    out = motcua("compare", "--as-is", FIVE_STAGE, "--to-be", FIVE_STAGE, "--scenario", AS_IS,
                 "--to-be-scenario", TO_BE, "--cases", "300", "--replications", "3", "--json",
                 "--report", str(tmp_path / "c.html"))  # fmt: skip
    data = json.loads(out.stdout)
    assert data["difference"]["trips"]["mean"] < 0
    assert data["social_cost_saved_vnd_per_year"]["mean"] > 0
    assert "To-be" in (tmp_path / "c.html").read_text()


def test_calibrate_writes_a_scenario_that_simulate_accepts(tmp_path):
    log = tmp_path / "log.csv"
    motcua(
        "simulate",
        FIVE_STAGE,
        "--scenario",
        AS_IS,
        "--cases",
        "300",
        "--replications",
        "1",
        "--log",
        str(log),
    )
    scenario = tmp_path / "fitted.json"
    out = motcua(
        "calibrate", "--log", str(log), "--bpmn", FIVE_STAGE, "--out", str(scenario), "--calendar", "weekday"
    )
    assert "Kolmogorov-Smirnov" in out.stdout
    motcua("simulate", FIVE_STAGE, "--scenario", str(scenario), "--cases", "100", "--replications", "1")


def test_an_incomplete_scenario_is_an_error_naming_the_gap(tmp_path):
    bad = tmp_path / "bad.json"
    raw = json.loads(Path(AS_IS).read_text())
    del raw["branches"]
    bad.write_text(json.dumps(raw))
    out = motcua("simulate", FIVE_STAGE, "--scenario", str(bad), expect=1)
    assert "decide" in out.stderr and "Traceback" not in out.stderr
