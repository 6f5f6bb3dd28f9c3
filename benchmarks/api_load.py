"""API load: 50 simulated officers completing tasks through /api/v1, served by gunicorn on
PostgreSQL, with 100,000 dossiers in the database.

    python benchmarks/api_load.py                       # the full size
    python benchmarks/api_load.py --dossiers 20000 --duration 30 --rounds 3

What it does, in a throw-away PostgreSQL database (dropped at the end):

1. Seeds ``--dossiers`` dossiers. ``--work`` of them are real five-stage dossiers submitted through
   the engine in the benchmark agency (they carry workflow state, so officers can complete them).
   The rest are *projections only*, bulk-inserted with SQL (a dossier row and one human task each,
   spread evenly over ``--agencies`` agencies; 20 % of the tasks open, spread over the four stage
   roles, due times from 5 days ago to 10 days ahead; no workflow state, no event log). Driving
   100,000 dossiers through the engine would take the better part of an hour on this machine; the
   inbox and task queries read only these projections, so they see the same rows either way.
2. Starts gunicorn (``--workers`` gthread workers) on loopback with ``webui:create_app()``.
3. Runs ``--officers`` officers as asyncio tasks over httpx, each with its own bearer token and one
   of the stage roles. An officer loops: list the inbox (``GET /tasks``, the whole backlog, sorted
   overdue first), list the five-stage work (``GET /tasks?process_key=five_stage``), claim one task,
   complete it with data, and every fifth time read its dossier; then thinks for ``--think``
   seconds on average (uniformly 0.5-1.5 times that; the officers start at random moments).
   Bounded by ``--duration`` seconds and ``--max-completions``.
4. Prints requests/s and p50/p95/p99 latency per endpoint (client-side, loopback), the median over
   ``--rounds`` rounds (each round against the same database and server).

Target: p95 < 100 ms for task completion and inbox listing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from engine import services  # noqa: E402
from engine.bpmn.validation import SourceFile  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.services import tokens  # noqa: E402
from engine.store.models import Dossier, HumanTask, ProcessDefinition, ProcessVersion  # noqa: E402
from motcua.bootstrap import bootstrap  # noqa: E402

MODEL = ROOT / "tests" / "fixtures" / "bpmn" / "five_stage.bpmn"
ROLES = ["intake_officer", "appraiser", "approver", "clerk"]
STAGES = {"intake_officer": "intake", "appraiser": "appraisal", "approver": "approval", "clerk": "stamping"}
ADMIN_URL = os.environ.get("MOTCUA_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


# ------------------------------------------------------------------------------------------ seeding


def seed(url: str, data_dir: Path, args) -> list[tuple[str, str]]:
    """Returns (username, token secret) of every officer."""
    ctx = bootstrap(
        Settings(database_url=url, data_dir=data_dir, processes_dir=data_dir / "none"), migrate=True
    )
    agencies = [f"000.{i:02d}.01.H26" for i in range(args.agencies)]
    for code in agencies:
        services.create_agency(ctx, code, f"Trung tâm Phục vụ hành chính công {code}")
    bench = agencies[0]
    officers = []
    for i in range(args.officers):
        role = ROLES[i % len(ROLES)]
        user = services.create_user(ctx, f"canbo{i:02d}", f"Cán bộ {i:02d}", bench, [role])
        officers.append((user.username, tokens.create_token(ctx, user.username, "bench").secret))
    services.deploy(ctx, [SourceFile(MODEL.name, MODEL.read_bytes())])

    started = time.perf_counter()
    intake = services.get_user(ctx, officers[0][0])
    for _ in range(args.work):
        services.submit_dossier(ctx, "five_stage", bench, {"exempt": False}, intake)
    engine_s = time.perf_counter() - started

    started = time.perf_counter()
    background = args.dossiers - args.work
    with ctx.db.transaction() as s:
        definition = ProcessDefinition(key="bulk_seed", name="Seeded projections", created_at=ctx.now())
        s.add(definition)
        s.flush()
        version = ProcessVersion(
            definition_id=definition.id,
            version=1,
            content_hash="0" * 64,
            name="Seeded projections",
            deployed_at=ctx.now(),
            warnings=[],
        )
        s.add(version)
        s.flush()
        version_id = version.id
        agency_ids = [row[0] for row in s.execute(text("SELECT id FROM agencies ORDER BY code"))]
    rng = random.Random(7)
    now = datetime.now(UTC)
    chunk = 5000
    with ctx.db.engine.begin() as conn:
        next_id = conn.execute(select(Dossier.id).order_by(Dossier.id.desc()).limit(1)).scalar() or 0
        for start in range(0, background, chunk):
            dossiers, tasks = [], []
            for n in range(start, min(background, start + chunk)):
                dossier_id = next_id + 1 + n
                agency_id = agency_ids[n % len(agency_ids)]
                created = now - timedelta(minutes=rng.randint(0, 60 * 24 * 60))
                is_open = rng.random() < 0.2
                role = ROLES[rng.randrange(len(ROLES))]
                dossiers.append(
                    dict(
                        id=dossier_id,
                        process_version_id=version_id,
                        agency_id=agency_id,
                        channel=rng.choice(["counter", "online", "post"]),
                        applicant_name=f"Công dân {dossier_id}",
                        run_state="running" if is_open else "completed",
                        submitted_data={},
                        created_at=created,
                        updated_at=created,
                        completed_at=None if is_open else created + timedelta(days=3),
                        procedure_code="bulk_seed",
                        status=4 if is_open else 10,
                    )
                )
                tasks.append(
                    dict(
                        id=uuid.uuid4(),
                        dossier_id=dossier_id,
                        agency_id=agency_id,
                        process_version_id=version_id,
                        bpmn_id=STAGES[role],
                        label=STAGES[role],
                        role=role,
                        stage=STAGES[role],
                        state="open" if is_open else "completed",
                        created_at=created,
                        due_at=now + timedelta(minutes=rng.randint(-5 * 24 * 60, 10 * 24 * 60)),
                        completed_at=None if is_open else created + timedelta(days=1),
                        data={},
                        row_version=1,
                    )
                )
            conn.execute(insert(Dossier.__table__), dossiers)
            conn.execute(insert(HumanTask.__table__), tasks)
        conn.execute(
            text("SELECT setval(pg_get_serial_sequence('dossiers', 'id'), (SELECT max(id) FROM dossiers))")
        )
        conn.execute(text("ANALYZE"))
    bulk_s = time.perf_counter() - started
    with ctx.db.read() as s:
        counts = s.execute(
            text(
                "SELECT (SELECT count(*) FROM dossiers),"
                " (SELECT count(*) FROM human_tasks WHERE state = 'open')"
            )
        ).one()
    print(
        f"seeded {counts[0]} dossiers ({args.work} through the engine in {engine_s:.1f}s, "
        f"{background} bulk-inserted in {bulk_s:.1f}s); {counts[1]} open tasks; "
        f"{args.dossiers // args.agencies} dossiers in the officers' agency",
        flush=True,
    )
    ctx.db.dispose()
    return officers


# ------------------------------------------------------------------------------------------ load


class Stats:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.status: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))

    async def call(
        self, client: httpx.AsyncClient, label: str, method: str, url: str, **kw
    ) -> httpx.Response:
        began = time.perf_counter()
        try:
            response = await client.request(method, url, **kw)
        except httpx.HTTPError as exc:  # counted, not fatal: the figures say how many
            self.status[label][type(exc).__name__] += 1
            return None
        self.latency[label].append(time.perf_counter() - began)
        self.status[label][response.status_code] += 1
        return response


async def officer(
    base: str, secret: str, stats: Stats, stop_at: float, budget: list[int], think: float, seed_: int
):
    rng = random.Random(seed_)
    headers = {"Authorization": f"Bearer {secret}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        turn = 0
        await asyncio.sleep(rng.uniform(0, think))  # officers do not all start in the same instant
        while time.monotonic() < stop_at and budget[0] > 0:
            turn += 1
            await stats.call(client, "GET /tasks (inbox)", "GET", "/api/v1/tasks", params={"limit": 50})
            work = await stats.call(
                client,
                "GET /tasks?process_key",
                "GET",
                "/api/v1/tasks",
                params={"process_key": "five_stage", "limit": 20},
            )
            ok = work is not None and work.status_code == 200
            candidates = [t for t in work.json() if t["assignee"] is None] if ok else []
            if candidates:
                task = rng.choice(candidates[:10])
                claimed = await stats.call(
                    client, "POST /tasks/{id}/claim", "POST", f"/api/v1/tasks/{task['id']}/claim"
                )
                if claimed is not None and claimed.status_code == 200:
                    done = await stats.call(
                        client,
                        "POST /tasks/{id}/complete",
                        "POST",
                        f"/api/v1/tasks/{task['id']}/complete",
                        json={"data": {"complete": True, "note": f"xong {turn}"}},
                    )
                    if done is not None and done.status_code == 200:
                        budget[0] -= 1
                if turn % 5 == 0:
                    await stats.call(
                        client, "GET /dossiers/{id}", "GET", f"/api/v1/dossiers/{task['dossier_id']}"
                    )
            await asyncio.sleep(rng.uniform(0.5, 1.5) * (think if candidates else max(think, 0.2)))


async def load(base: str, officers: list[tuple[str, str]], args) -> tuple[Stats, float]:
    stats = Stats()
    budget = [args.max_completions]
    started = time.monotonic()
    stop_at = started + args.duration
    await asyncio.gather(
        *(
            officer(base, secret, stats, stop_at, budget, args.think, i)
            for i, (_, secret) in enumerate(officers)
        )
    )
    return stats, time.monotonic() - started


# ------------------------------------------------------------------------------------------ server


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used (from /proc), so figures can be read apart
    from how loaded the machine was."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICKS


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    if int(handle.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except OSError:
                continue
    return found


def server_cpu(server: subprocess.Popen, admin, database: str) -> tuple[float, float]:
    """CPU seconds used so far by the gunicorn workers and by PostgreSQL backends of the database."""
    with admin.connect() as conn:
        backends = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :d"), {"d": database})
        pg_pids = [row[0] for row in backends]
    return cpu_seconds([server.pid, *children(server.pid)]), cpu_seconds(pg_pids)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(url: str, data_dir: Path, workers: int, threads: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "MOTCUA_DATABASE_URL": url, "MOTCUA_DATA_DIR": str(data_dir)}
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn",
            "--workers", str(workers), "--worker-class", "gthread", "--threads", str(threads),
            "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--backlog", "256",
            "--timeout", "120", "--keep-alive", "10",
            "webui:create_app()",
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return server, base
        except httpx.HTTPError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("gunicorn did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--work", type=int, default=400, help="dossiers submitted through the engine")
    parser.add_argument("--agencies", type=int, default=5)
    parser.add_argument("--officers", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per round")
    parser.add_argument("--max-completions", type=int, default=1500, help="per round")
    parser.add_argument("--think", type=float, default=5.0, help="seconds an officer pauses between tasks")
    parser.add_argument("--workers", type=int, default=6)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of unmeasured load first")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()

    admin_url = make_url(ADMIN_URL)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"motcua_bench_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    data_dir = Path(tempfile.mkdtemp(prefix="motcua-bench-"))
    server = None
    try:
        officers = seed(url, data_dir, args)
        server, base = start_gunicorn(url, data_dir, args.workers, args.threads)
        if args.warmup:  # every worker parses the model and fills its caches once; not measured
            warm = argparse.Namespace(**{**vars(args), "duration": args.warmup})
            asyncio.run(load(base, officers, warm))
        rounds = []
        for n in range(args.rounds):
            app_before, _ = server_cpu(server, admin, name)
            stats, elapsed = asyncio.run(load(base, officers, args))
            app_after, pg_after = server_cpu(server, admin, name)  # backends live as long as the pool
            rounds.append((stats, elapsed))
            total = sum(len(v) for v in stats.latency.values())
            stats.cpu_ms = (app_after - app_before) * 1000 / max(total, 1)
            print(
                f"round {n + 1}: {total} requests in {elapsed:.1f}s ({total / elapsed:.0f} req/s); "
                f"gunicorn CPU {stats.cpu_ms:.1f} ms per request; PostgreSQL backends CPU so far "
                f"{pg_after:.1f} s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
                flush=True,
            )
        report(rounds, args)
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        else:
            print(f"kept database {url}")
        admin.dispose()


def report(rounds, args) -> None:
    labels = sorted({label for stats, _ in rounds for label in stats.latency})
    print(
        f"\n{args.officers} officers, think {args.think}s, {args.dossiers} dossiers, gunicorn "
        f"{args.workers}x{args.threads} gthread; median over {len(rounds)} round(s)"
    )
    print(f"{'endpoint':28} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}  statuses")
    for label in labels:
        per_round = [(stats.latency[label], stats.status[label], elapsed) for stats, elapsed in rounds]

        def med(f, per_round=per_round):
            return statistics.median(f(lat, el) for lat, _, el in per_round if lat)

        count = med(lambda lat, el: len(lat))
        rate = med(lambda lat, el: len(lat) / el)
        p50, p95, p99 = (med(lambda lat, el, q=q: percentile(lat, q) * 1000) for q in (0.5, 0.95, 0.99))
        statuses = defaultdict(int)
        for _, st, _ in per_round:
            for code, n in st.items():
                statuses[code] += n
        codes = " ".join(f"{code}:{n}" for code, n in sorted(statuses.items(), key=str))
        print(f"{label:28} {count:8.0f} {rate:7.1f} {p50:7.1f} {p95:7.1f} {p99:7.1f}  {codes}")
    total = statistics.median(sum(len(v) for v in s.latency.values()) / el for s, el in rounds)
    print(f"{'all':28} {'':8} {total:7.1f}")
    cpu = statistics.median(stats.cpu_ms for stats, _ in rounds)
    print(f"gunicorn CPU per request (all endpoints): {cpu:.1f} ms (median over rounds)")


if __name__ == "__main__":
    main()
