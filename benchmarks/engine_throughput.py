"""Engine throughput: N dossiers of a five-stage procedure, submit -> 5 task completions, persisted.

Each completion is a full use case: load the workflow state, complete the task, run the engine to its
next wait, save the state and the projections (human tasks, timers, event log) in one transaction.

    python benchmarks/engine_throughput.py --dossiers 1000 --backend both --rounds 3

Prints dossiers/s, task completions/s, p50/p95 wall time and the CPU time of this process per
completion (steadier than wall time on a busy machine), and peak memory per backend: the median
over the rounds (backends alternate round by round; this machine is shared and noisy), with the
range of completions/s. Target: at least 300 task completions/s on SQLite in one process.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import services  # noqa: E402
from engine.bpmn.validation import SourceFile  # noqa: E402
from engine.config import Settings  # noqa: E402
from motcua.bootstrap import bootstrap  # noqa: E402

MODEL = ROOT / "tests" / "fixtures" / "bpmn" / "five_stage.bpmn"
AGENCY = "000.99.01.H26"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run(url: str, dossiers: int, data_dir: Path, workflow_cache: int = 2048) -> dict:
    settings = Settings(
        database_url=url,
        data_dir=data_dir,
        processes_dir=data_dir / "none",
        workflow_cache_size=workflow_cache,
    )
    ctx = bootstrap(settings, migrate=True)
    services.create_agency(ctx, AGENCY, "Trung tâm Phục vụ hành chính công (benchmark)")
    officer = services.create_user(
        ctx, "bench", "Benchmark Officer", AGENCY, ["intake_officer", "appraiser", "approver", "clerk"]
    )
    services.deploy(ctx, [SourceFile(MODEL.name, MODEL.read_bytes())])

    gc.collect()
    started = time.perf_counter()
    open_tasks = []
    submit_times = []
    for i in range(dossiers):
        t0 = time.perf_counter()
        dossier = services.submit_dossier(ctx, "five_stage", AGENCY, {"exempt": i % 3 == 0, "n": i}, officer)
        submit_times.append(time.perf_counter() - t0)
        open_tasks.append(_first_task(ctx, dossier.id))
    submitted = time.perf_counter()

    completion_times: list[float] = []
    cpu_started = time.process_time()
    for stage in range(5):
        next_round = []
        for task_id in open_tasks:
            data = {"complete": True} if stage == 0 else {"note": f"stage {stage}"}
            t0 = time.perf_counter()
            result = services.complete_task(ctx, task_id, officer, data)
            completion_times.append(time.perf_counter() - t0)
            if result.next_tasks:
                next_round.append(result.next_tasks[0].id)
            else:
                assert result.dossier.run_state == "completed", result.dossier
        open_tasks = next_round
    finished = time.perf_counter()
    cpu_seconds = time.process_time() - cpu_started
    assert not open_tasks
    ctx.db.dispose()

    completions = len(completion_times)
    return {
        "backend": make_url(url).get_backend_name(),
        "dossiers": dossiers,
        "completions": completions,
        "seconds": round(finished - started, 2),
        "dossiers_per_s": round(dossiers / (finished - started), 1),
        "submits_per_s": round(dossiers / (submitted - started), 1),
        "completions_per_s": round(completions / (finished - submitted), 1),
        "completion_p50_ms": round(statistics.median(completion_times) * 1000, 2),
        "completion_p95_ms": round(percentile(completion_times, 0.95) * 1000, 2),
        "completion_cpu_ms": round(cpu_seconds / completions * 1000, 2),
        "submit_p50_ms": round(statistics.median(submit_times) * 1000, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _first_task(ctx, dossier_id):
    detail = services.get_dossier(ctx, dossier_id)
    return next(t.id for t in detail.tasks if t.state == "open")


def _postgres_run(pg_url: str, dossiers: int, tmp: Path, workflow_cache: int) -> dict:
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    name = f"motcua_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)
        return run(url, dossiers, tmp, workflow_cache)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def median_run(runs: list[dict]) -> dict:
    """Per-metric medians over the rounds, with the spread of completions/s."""
    summary = dict(runs[0])
    for key, value in runs[0].items():
        if isinstance(value, int | float) and key not in ("dossiers", "completions"):
            summary[key] = round(statistics.median(r[key] for r in runs), 2)
    rates = [r["completions_per_s"] for r in runs]
    summary["rounds"] = len(runs)
    summary["completions_per_s_range"] = f"{min(rates)}-{max(rates)}"
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dossiers", type=int, default=1000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--workflow-cache",
        type=int,
        default=2048,
        help="restored workflows kept between steps (0 restores every step from the database)",
    )
    args = parser.parse_args()

    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    runs: dict[str, list[dict]] = {b: [] for b in backends}
    for round_no in range(args.rounds):
        for backend in backends:
            with tempfile.TemporaryDirectory() as tmp:
                if backend == "sqlite":
                    url = f"sqlite:///{tmp}/bench.db"
                    result = run(url, args.dossiers, Path(tmp), args.workflow_cache)
                else:
                    result = _postgres_run(args.pg_url, args.dossiers, Path(tmp), args.workflow_cache)
            runs[backend].append(result)
            print(
                f"round {round_no + 1} {backend}: {result['completions_per_s']} completions/s",
                file=sys.stderr,
            )
    results = [median_run(runs[b]) for b in backends]

    if args.json:
        print(json.dumps(results, indent=2))
        return
    keys = [
        "backend",
        "rounds",
        "dossiers",
        "completions",
        "dossiers_per_s",
        "submits_per_s",
        "completions_per_s",
        "completions_per_s_range",
        "completion_p50_ms",
        "completion_p95_ms",
        "completion_cpu_ms",
        "submit_p50_ms",
        "peak_rss_mb",
    ]
    width = max(len(k) for k in keys)
    for key in keys:
        print(f"{key:<{width}}  " + "  ".join(f"{str(r[key]):>12}" for r in results))
    sqlite = next((r for r in results if r["backend"] == "sqlite"), None)
    if sqlite:
        verdict = "meets" if sqlite["completions_per_s"] >= 300 else "MISSES"
        print(
            f"\nSQLite: median {sqlite['completions_per_s']} completions/s {verdict} the 300/s target; "
            "the national "
            "daily volume (40,000 dossiers x 5 steps) would take "
            f"{200_000 / sqlite['completions_per_s'] / 60:.1f} min."
        )


if __name__ == "__main__":
    main()
