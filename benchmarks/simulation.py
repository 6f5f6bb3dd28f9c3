"""Simulation throughput: motcua versus Prosimos 2.1.0 on the same 13-task, 15-resource loan model.

Prosimos lives in its own virtualenv (.venv-prosimos, created here when missing; never a project
dependency). Runs alternate between the tools; figures are medians. Usage:

    .venv/bin/python benchmarks/simulation.py [--cases 10000 50000] [--rounds 3] [--no-prosimos]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FIXTURES = ROOT / "benchmarks" / "fixtures"
PROSIMOS_VENV = ROOT / ".venv-prosimos"

PROSIMOS_RUN = """
import sys, time, json, resource
from prosimos.simulation_engine import run_simulation
bpmn, params, cases, log = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
t, c = time.perf_counter(), time.process_time()
run_simulation(bpmn, params, cases, stat_out_path=None, log_out_path=log,
               starting_at="2026-01-05T00:00:00.000000+07:00")
seconds, cpu = time.perf_counter() - t, time.process_time() - c
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
import csv
from datetime import datetime
first, last, events = {}, {}, 0
with open(log) as handle:
    for row in csv.DictReader(handle):
        events += 1
        a, b = datetime.fromisoformat(row["enable_time"]), datetime.fromisoformat(row["end_time"])
        c = row["case_id"]
        first[c] = min(first.get(c, a), a)
        last[c] = max(last.get(c, b), b)
cycle = sum((last[c] - first[c]).total_seconds() for c in first) / len(first)
print(json.dumps({"seconds": seconds, "cpu": cpu, "peak": peak, "events": events, "cycle_time": cycle}))
"""


def ensure_prosimos() -> Path | None:
    python = PROSIMOS_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PROSIMOS_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "prosimos==2.1.0"], check=True)
    return python


def run_prosimos(python: Path, cases: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "log.csv"
        out = subprocess.run(
            [str(python), "-c", PROSIMOS_RUN, str(FIXTURES / "loan.bpmn"),
             str(FIXTURES / "loan.prosimos.json"), str(cases), str(log)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        return json.loads(out.stdout.strip().splitlines()[-1])


MOTCUA_RUN = """
import sys, time, json, resource
sys.path.insert(0, sys.argv[4])
from engine.simulation import load_model, load_scenario, run
from engine.simulation.prosimos import load_prosimos
bpmn, scenario, cases = sys.argv[1], sys.argv[2], int(sys.argv[3])
sc = load_prosimos(scenario) if scenario.endswith(".prosimos.json") else load_scenario(scenario)
model = load_model(bpmn)
t, c = time.perf_counter(), time.process_time()
result = run(model, sc, cases=cases, replications=1, seed=1, warmup=0)
seconds, cpu = time.perf_counter() - t, time.process_time() - c
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": seconds, "cpu": cpu, "peak": peak,
                  "events": int(result.reps[0].step_count.sum()), "heap_events": result.events,
                  "cycle_time": result.kpis[0]["cycle_time"]}))
"""


def run_motcua(bpmn: Path, scenario: Path, cases: int) -> dict:
    """One run in a fresh interpreter: wall time of the simulation, peak RSS of the process; events
    counted as Prosimos logs them (one per executed activity)."""
    out = subprocess.run(
        [sys.executable, "-c", MOTCUA_RUN, str(bpmn), str(scenario), str(cases), str(ROOT)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, nargs="+", default=[10000, 50000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-prosimos", action="store_true")
    parser.add_argument("--prosimos-max", type=int, default=50000, help="Skip Prosimos above this size.")
    args = parser.parse_args()

    loan = FIXTURES / "loan.prosimos.json"
    five = ROOT / "docs" / "simulation-examples" / "five_stage.as-is.json"
    python = None if args.no_prosimos else ensure_prosimos()
    print(
        "Machine shared with other work: figures are medians of alternating rounds; wall-clock rates, "
        "and in brackets per second of CPU the process got (the fairer figure on a loaded machine)."
    )
    for cases in args.cases:
        rows: dict[str, list[dict]] = {"motcua loan": [], "prosimos loan": [], "motcua five-stage": []}
        for _ in range(args.rounds):
            rows["motcua loan"].append(run_motcua(FIXTURES / "loan.bpmn", loan, cases))
            if python and cases <= args.prosimos_max:
                rows["prosimos loan"].append(run_prosimos(python, cases))
            rows["motcua five-stage"].append(
                run_motcua(ROOT / "tests" / "fixtures" / "bpmn" / "five_stage.bpmn", five, cases)
            )
        medians = {}
        for name, runs in rows.items():
            if not runs:
                continue
            sec = statistics.median(r["seconds"] for r in runs)
            cpu = statistics.median(r["cpu"] for r in runs)
            medians[name] = cases / sec
            print(
                f"{cases:>6} cases  {name:18} {cases / sec:>10,.0f} cases/s "
                f"({cases / cpu:>8,.0f} per CPU-second)  "
                f"{statistics.median(r['events'] / r['seconds'] for r in runs):>11,.0f} events/s  "
                f"peak RSS {statistics.median(r['peak'] for r in runs) / 2**20:>7,.1f} MiB  "
                f"(median of {len(runs)})  mean cycle time "
                f"{statistics.median(r['cycle_time'] for r in runs) / 3600:,.2f} h"
            )
        if "prosimos loan" in medians:
            print(
                f"{cases:>6} cases  speed-up on the loan model: "
                f"{medians['motcua loan'] / medians['prosimos loan']:.1f}x"
            )


if __name__ == "__main__":
    main()
