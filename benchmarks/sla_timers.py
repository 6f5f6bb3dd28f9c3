"""SLA timers at scale: the sweep query at a million timer rows, and two rq workers firing due timers.

    python benchmarks/sla_timers.py --due 10000 --pending 100000 --rows 1000000

On a throw-away PostgreSQL database (MOTCUA_BENCH_POSTGRES_URL, default the local server) and Redis
(MOTCUA_BENCH_REDIS_URL, default db 15 with a key prefix of its own):

1. builds ``--due`` dossiers, each waiting on a BPMN timer that is due (cloned from one real dossier,
   its lifecycle row included, with fresh task ids), ``--pending`` pending timers in all (the rest
   due in a month) and fired rows up to ``--rows``;
2. times the sweep query (the first batch of 1,000 due timers, ``FOR UPDATE SKIP LOCKED``) and the whole
   sweep walk over every due timer: medians of ``--repeat`` runs;
3. starts two ``motcua worker`` processes and times them firing every due timer; each fire is a full
   load-step-save of one dossier (load the workflow state, fire the timer, run to the next user task,
   save state, human task, SLA timers and events), a job's dossiers sharing one transaction. Prints
   timers/s.

Targets: sweep query < 50 ms at 1,000,000 rows; >= 500 timers fired per second with two workers.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import services  # noqa: E402
from engine.bpmn.validation import SourceFile  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.services import sla as sla_services  # noqa: E402
from engine.store.lifecycle_tables import DossierLifecycle  # noqa: E402
from engine.store.models import Dossier, Timer, WorkflowState  # noqa: E402
from motcua.bootstrap import bootstrap  # noqa: E402
from workers.clock import FileClock  # noqa: E402
from workers.timers import DEFAULT_JOB_SIZE as JOB_SIZE  # noqa: E402

AGENCY = "000.99.02.H26"
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs" targetNamespace="http://motcua.vn/bench">
  <bpmn:process id="bench_timer" name="Chờ rồi thẩm định" isExecutable="true">
    <bpmn:laneSet id="lanes"><bpmn:lane id="Lane_appraiser" name="appraiser"><bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>wait</bpmn:flowNodeRef><bpmn:flowNodeRef>appraise</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="wait" name="Chờ 1 giờ"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing><bpmn:timerEventDefinition id="wait_def"><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:userTask id="appraise" name="Thẩm định"><bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="stage" value="appraisal"/><spiffworkflow:property name="allottedHours" value="8"/></spiffworkflow:properties></bpmn:extensionElements><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait"/>
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="appraise"/>
    <bpmn:sequenceFlow id="f3" sourceRef="appraise" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""  # noqa: E501 - one element per line


def create_database(admin_url: str) -> tuple[str, str]:
    admin = create_engine(make_url(admin_url), isolation_level="AUTOCOMMIT")
    name = f"motcua_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), name


def drop_database(admin_url: str, name: str) -> None:
    admin = create_engine(make_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def build(ctx, clock: FileClock, due: int, pending: int, rows: int) -> None:
    services.create_agency(ctx, AGENCY, "Trung tâm thử tải")
    services.deploy(ctx, [SourceFile("bench.bpmn", MODEL.encode())])
    first = services.submit_dossier(ctx, "bench_timer", AGENCY, {})
    t0 = clock.now()
    with ctx.db.transaction() as s:
        original = s.get(Dossier, first.id)
        state = s.get(WorkflowState, first.id)
        timer = s.scalar(select(Timer).where(Timer.dossier_id == first.id, Timer.kind == "bpmn"))
        template, version, fmt = state.state, state.version, state.format
        timer_task, timer_due, bpmn_id = str(timer.task_id), timer.due_at, timer.bpmn_id
        pv, agency = original.process_version_id, original.agency_id
        procedure_code, status = original.procedure_code, original.status
        lifecycle = s.execute(
            select(DossierLifecycle.__table__).where(DossierLifecycle.dossier_id == first.id)
        ).mappings().one()  # fmt: skip
    ids = sorted(set(UUID_RE.findall(template)))
    print(f"  cloning {due - 1} dossiers from one real one ({len(template)} bytes of state, {len(ids)} ids)")
    conn_engine = ctx.db.engine
    batch = 1000
    made = 1
    while made < due:
        n = min(batch, due - made)
        with conn_engine.begin() as conn:
            new_ids = conn.execute(
                insert(Dossier.__table__).returning(Dossier.__table__.c.id),
                [
                    dict(process_version_id=pv, agency_id=agency, channel="counter", run_state="running",
                         submitted_data={}, created_at=t0, updated_at=t0, procedure_code=procedure_code,
                         status=status)
                    for _ in range(n)
                ],
            ).scalars().all()  # fmt: skip
            states, timers = [], []
            for dossier_id in new_ids:
                mapping = {old: str(uuid.uuid4()) for old in ids}
                states.append(
                    dict(
                        dossier_id=dossier_id,
                        version=version,
                        format=fmt,
                        state=UUID_RE.sub(lambda m, mp=mapping: mp.get(m.group(0), m.group(0)), template),
                        updated_at=t0,
                    )
                )
                timers.append(
                    dict(dossier_id=dossier_id, task_id=uuid.UUID(mapping[timer_task]), bpmn_id=bpmn_id,
                         kind="bpmn", label="Chờ 1 giờ", due_at=timer_due, state="pending", created_at=t0,
                         attempts=0)
                )  # fmt: skip
            conn.execute(insert(WorkflowState.__table__), states)
            conn.execute(
                insert(DossierLifecycle.__table__), [{**lifecycle, "dossier_id": d} for d in new_ids]
            )
            conn.execute(insert(Timer.__table__), timers)
        made += n
    with conn_engine.begin() as conn:
        # the other pending timers: due in about a month, spread over the dossiers
        conn.execute(
            text(
                "INSERT INTO timers (dossier_id, task_id, kind, label, due_at, state, created_at, attempts) "
                "SELECT d.id, gen_random_uuid(), 'sla_reminder', 'later', :t + (g * interval '1 minute'), "
                "'pending', :t, 0 FROM generate_series(1, :per) g CROSS JOIN dossiers d"
            ),
            dict(t=t0 + timedelta(days=30), per=max(0, (pending - due) // due)),
        )
        # history: fired and cancelled rows up to the total
        existing = conn.execute(text("SELECT count(*) FROM timers")).scalar()
        per = max(0, (rows - existing) // due)
        conn.execute(
            text(
                "INSERT INTO timers (dossier_id, task_id, kind, label, due_at, state, created_at, fired_at, "
                "attempts) SELECT d.id, gen_random_uuid(), "
                "CASE WHEN g % 3 = 0 THEN 'sla_overdue' ELSE 'sla_reminder' END, "
                "'old', :t - (g * interval '1 hour'), CASE WHEN g % 2 = 0 THEN 'fired' ELSE 'cancelled' END, "
                ":t, :t, 1 FROM generate_series(1, :per) g CROSS JOIN dossiers d"
            ),
            dict(t=t0, per=per),
        )
        conn.execute(text("ANALYZE timers"))


def sweep_times(ctx, repeat: int) -> tuple[list[float], list[float]]:
    from sqlalchemy import tuple_  # noqa: F401 - the same query the sweep runs

    first, walk = [], []
    now = ctx.now()
    for _ in range(repeat):
        with ctx.db.transaction() as s:
            started = time.perf_counter()
            s.execute(
                select(Timer.id, Timer.dossier_id, Timer.due_at)
                .where(Timer.state == "pending", Timer.due_at <= now, Timer.attempts < 20)
                .order_by(Timer.due_at, Timer.id)
                .limit(1000)
                .with_for_update(skip_locked=True)
            ).all()
            first.append((time.perf_counter() - started) * 1000)
            s.rollback()
        started = time.perf_counter()
        sla_services.claim_due_timers(ctx, lambda claims: [False] * len(claims))
        walk.append((time.perf_counter() - started) * 1000)
    return first, walk


def count(ctx, sql: str, **params) -> int:
    with ctx.db.engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--due", type=int, default=10000)
    parser.add_argument("--pending", type=int, default=100000)
    parser.add_argument("--rows", type=int, default=1000000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--job-size", type=int, default=JOB_SIZE, help="Dossiers per fire job (1: a job per dossier)."
    )
    parser.add_argument("--skip-fire", action="store_true", help="Only build and time the sweep.")
    parser.add_argument("--in-process", type=int, default=200, help="Fire this many first without rq.")
    args = parser.parse_args()
    admin = os.environ.get("MOTCUA_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    redis_url = os.environ.get("MOTCUA_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
    url, name = create_database(admin)
    tmp = Path(tempfile.mkdtemp(prefix="motcua-bench-"))
    clock = FileClock(tmp / "clock")
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 08:00 in Hanoi
    clock.set(start)
    procs: list[subprocess.Popen] = []
    try:
        ctx = bootstrap(Settings(database_url=url, data_dir=tmp), migrate=True, clock=clock)
        ctx.runtime.clock = clock.now
        t = time.perf_counter()
        build(ctx, clock, args.due, args.pending, args.rows)
        clock.set(start + timedelta(hours=2))  # every BPMN timer is due now
        total = count(ctx, "SELECT count(*) FROM timers")
        pending = count(ctx, "SELECT count(*) FROM timers WHERE state = 'pending'")
        due = count(
            ctx, "SELECT count(*) FROM timers WHERE state = 'pending' AND due_at <= :n", n=clock.now()
        )
        print(
            f"built {total:,} timer rows ({pending:,} pending, {due:,} due) "
            f"in {time.perf_counter() - t:.1f} s"
        )
        first, walk = sweep_times(ctx, args.repeat)
        print(
            f"sweep query (first 1,000 due, FOR UPDATE SKIP LOCKED) at {total:,} rows: "
            f"median {statistics.median(first):.1f} ms (min {min(first):.1f}, max {max(first):.1f}; "
            f"{args.repeat} runs)"
        )
        print(
            f"whole sweep walk over {due:,} due timers (no enqueue): median {statistics.median(walk):.0f} ms "
            f"(min {min(walk):.0f}, max {max(walk):.0f})"
        )
        if args.skip_fire:
            return
        if args.in_process:
            ids = sla_services.due_dossiers(ctx, limit=min(args.in_process, due - 1))
            half = len(ids) // 2
            walls, cpus = [], []
            for dossier_id in ids[:half]:
                wall, cpu = time.perf_counter(), time.process_time()
                sla_services.fire_dossier_timers(ctx, dossier_id)
                walls.append((time.perf_counter() - wall) * 1000)
                cpus.append((time.process_time() - cpu) * 1000)
            print(
                f"in one process, no rq, a transaction per dossier: {half} fires, median "
                f"{statistics.median(walls):.1f} ms wall ({statistics.median(cpus):.1f} ms CPU in motcua)"
            )
            walls, cpus = [], []
            rest = ids[half:]
            for i in range(0, len(rest), args.job_size):
                batch = rest[i : i + args.job_size]
                wall, cpu = time.perf_counter(), time.process_time()
                sla_services.fire_due_timers(ctx, batch)
                walls.append((time.perf_counter() - wall) * 1000 / len(batch))
                cpus.append((time.process_time() - cpu) * 1000 / len(batch))
            print(
                f"in one process, no rq, {args.job_size} dossiers per transaction (as a worker's job): "
                f"{len(rest)} fires, median {statistics.median(walls):.1f} ms wall "
                f"({statistics.median(cpus):.1f} ms CPU in motcua) per fire"
            )
            due -= len(ids)
        prefix = f"bench-{uuid.uuid4().hex[:8]}"
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_") and k != "REDIS_URL"},
            "PYTHONPATH": str(ROOT),
            "MOTCUA_DATABASE_URL": url,
            "MOTCUA_DATA_DIR": str(tmp),
            "REDIS_URL": redis_url,
            "MOTCUA_REDIS_PREFIX": prefix,
            "MOTCUA_CLOCK_FILE": str(tmp / "clock"),
            "MOTCUA_SWEEP_SECONDS": "0.5",
            "MOTCUA_TIMER_JOB_SIZE": str(args.job_size),
        }
        clock.set(start)  # nothing due while the workers start
        for n in range(args.workers):
            log = open(tmp / f"worker-{n}.log", "w")  # noqa: SIM115 - lives as long as the worker
            command = [sys.executable, "-m", "motcua.cli", "worker"]
            procs.append(subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT))
        time.sleep(4)
        clock.set(start + timedelta(hours=2))
        t = time.perf_counter()
        samples = []
        while due > 0:
            left = count(ctx, "SELECT count(*) FROM timers WHERE kind = 'bpmn' AND state = 'pending'")
            elapsed = time.perf_counter() - t
            samples.append((elapsed, due - left))
            if left == 0 or elapsed > 900:
                break
            time.sleep(0.5)
        fired = due - left
        rate = fired / elapsed
        # the steady rate: between 10 % and 90 % of the work (start-up and the tail excluded)
        lo = next((s for s in samples if s[1] >= 0.1 * due), samples[0])
        hi = next((s for s in samples if s[1] >= 0.9 * due), samples[-1])
        steady = (hi[1] - lo[1]) / (hi[0] - lo[0]) if hi[0] > lo[0] else rate
        opened = count(ctx, "SELECT count(*) FROM human_tasks")
        print(
            f"{args.workers} workers fired {fired:,} BPMN timers (load-step-save each, {args.job_size} "
            f"dossiers per job) in {elapsed:.1f} s: "
            f"{rate:.0f} timers/s overall, {steady:.0f} timers/s steady (10-90 %); {opened:,} tasks opened"
        )
        # Phase 2: every opened task's reminder and overdue timers come due (two SLA timers per job).
        sla_due = count(ctx, "SELECT count(*) FROM timers WHERE kind IN ('sla_reminder', 'sla_overdue') "
                             "AND state = 'pending' AND label <> 'later'")  # fmt: skip
        clock.set(start + timedelta(days=3))
        t = time.perf_counter()
        while True:
            left = count(ctx, "SELECT count(*) FROM timers WHERE kind IN ('sla_reminder', 'sla_overdue') "
                              "AND state = 'pending' AND label <> 'later'")  # fmt: skip
            elapsed = time.perf_counter() - t
            if left == 0 or elapsed > 900:
                break
            time.sleep(0.5)
        alerts = count(ctx, "SELECT count(*) FROM sla_alerts")
        print(
            f"{args.workers} workers fired {sla_due - left:,} SLA timers (reminder + escalation per step, "
            f"{args.job_size} dossiers per job) in {elapsed:.1f} s: "
            f"{(sla_due - left) / elapsed:.0f} timers/s; "
            f"{alerts:,} alerts"
        )
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        if "ctx" in locals():
            ctx.db.dispose()
        drop_database(admin, name)


if __name__ == "__main__":
    main()
