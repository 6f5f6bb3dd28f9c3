"""Population registry: seeding time and look-up latency through the BPMN service task.

    python benchmarks/registry.py --citizens 1000000 --dossiers 300 --rounds 3 --backend both

Per backend: seed a registry of ``--citizens`` people into a fresh database (timed: generate +
insert), then drive ``--dossiers`` dossiers of the look-up test model (an identity look-up at
submission, a marital-status look-up after intake) and time every look-up as the service task runs it
(authorisation, registry query, audit row, evidence), first embedded (SQL in the same database), then
over HTTP on loopback against ``motcua serve`` running in its own process on the seeded database.
Figures are medians over ``--rounds`` rounds because this shared 2-core machine is noisy; the load
average is printed with them. Targets: 1,000,000 citizens seeded in under 2 minutes; look-up p95
under 5 ms embedded and under 20 ms over HTTP on loopback.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import services  # noqa: E402
from engine.bpmn.validation import SourceFile  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.population import HttpRegistry, install_population, population_lookups  # noqa: E402
from engine.services import population  # noqa: E402
from engine.store.registry_tables import RegistryCitizen  # noqa: E402
from motcua.bootstrap import bootstrap  # noqa: E402

MODEL = ROOT / "tests" / "fixtures" / "bpmn" / "registry_lookup.bpmn"
PROCESS = "marriage_registration_to_be"
AGENCY = "000.99.01.H26"
POSTGRES = os.environ.get("MOTCUA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


class Timed:
    """Wraps the look-ups the operators call, timing each one as the service task runs it."""

    def __init__(self, lookups) -> None:
        self.inner = lookups.lookup
        self.times: list[float] = []
        self.cpu: list[float] = []  # this thread's CPU time per look-up (what a quiet machine would see)
        lookups.lookup = self

    def __call__(self, *args, **kwargs):
        t0, c0 = time.perf_counter(), time.thread_time()
        try:
            return self.inner(*args, **kwargs)
        finally:
            self.times.append(time.perf_counter() - t0)
            self.cpu.append(time.thread_time() - c0)


def context(url: str, data_dir: Path, **extra):
    return bootstrap(
        Settings(database_url=url, data_dir=data_dir, processes_dir=data_dir / "none", extra=extra),
        migrate=True,
    )


def prepare(ctx) -> object:
    services.create_agency(ctx, AGENCY, "Trung tâm Phục vụ hành chính công (benchmark)")
    officer = services.create_user(ctx, "bench", "Benchmark Officer", AGENCY, ["intake_officer", "approver"])
    services.deploy(ctx, [SourceFile(MODEL.name, MODEL.read_bytes())])
    return officer


def sample_people(ctx, count: int) -> list[dict]:
    """Random living citizens (the registry's answer is then a match)."""
    with ctx.db.read() as s:
        rows = s.execute(
            select(RegistryCitizen.id_number, RegistryCitizen.full_name, RegistryCitizen.date_of_birth)
            .where(RegistryCitizen.date_of_death.is_(None))
            .order_by(func.random())
            .limit(count)
        ).all()
    return [
        {"applicant_id_number": i, "applicant_name": n, "applicant_date_of_birth": b.isoformat()}
        for i, n, b in rows
    ]


def drive(ctx, officer, people: list[dict]) -> tuple[list[float], list[float], list[float]]:
    """Submit (identity look-up) and complete intake (marital-status look-up) for each person."""
    timed = Timed(population_lookups(ctx))
    use_cases: list[float] = []
    for person in people:
        t0 = time.perf_counter()
        dossier = services.submit_dossier(ctx, PROCESS, AGENCY, person, officer)
        use_cases.append(time.perf_counter() - t0)
        [intake] = [t for t in services.get_dossier(ctx, dossier.id).tasks if t.state == "open"]
        t0 = time.perf_counter()
        services.complete_task(ctx, intake.id, officer, {})
        use_cases.append(time.perf_counter() - t0)
    return timed.times, use_cases, timed.cpu


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(url: str, data_dir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "MOTCUA_DATABASE_URL": url, "MOTCUA_DATA_DIR": str(data_dir)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "motcua.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{base}/registry/v1/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("motcua serve did not start")


def new_database(backend: str, work: Path, name: str) -> tuple[str, callable]:
    if backend == "sqlite":
        return f"sqlite:///{work / name}.db", lambda: None
    admin_url = make_url(POSTGRES)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    db_name = f"motcua_bench_{name}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db_name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        admin.dispose()

    return admin_url.set(database=db_name).render_as_string(hide_password=False), drop


def ms(values: list[float]) -> str:
    return f"{percentile(values, 0.5) * 1000:.2f} / {percentile(values, 0.95) * 1000:.2f}"


def bench(backend: str, citizens: int, dossiers: int, rounds: int, work: Path) -> dict:
    registry_url, drop_registry = new_database(backend, work, "registry")
    drops = [drop_registry]
    try:
        ctx = context(registry_url, work)
        t0 = time.perf_counter()
        report = population.seed_population(ctx, citizens, seed=1)
        seed_seconds = time.perf_counter() - t0
        print(
            f"[{backend}] seeded {report.citizens:,} citizens, {report.households:,} households in "
            f"{seed_seconds:.1f} s (generate {report.generate_seconds:.1f} s, "
            f"insert {report.insert_seconds:.1f} s; this process's CPU {report.cpu_seconds:.1f} s)"
            f"; load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        officer = prepare(ctx)
        key, _ = population.create_api_key(ctx, AGENCY)
        people = sample_people(ctx, dossiers * rounds)
        embedded: list[tuple[float, float]] = []
        embedded_uc: list[tuple[float, float]] = []
        embedded_cpu: list[tuple[float, float]] = []
        http: list[tuple[float, float]] = []
        proc, base = serve(registry_url, work)
        client_url, drop_client = new_database(backend, work, "client")
        drops.append(drop_client)
        client = context(client_url, work)
        client_officer = prepare(client)
        adapter = HttpRegistry(base, key, timeout=2.0, retries=1)
        install_population(client, adapter)
        try:
            for r in range(rounds):
                batch = people[r * dossiers : (r + 1) * dossiers]
                looks, use_cases, cpu = drive(ctx, officer, batch)
                embedded.append((percentile(looks, 0.5), percentile(looks, 0.95)))
                embedded_cpu.append((percentile(cpu, 0.5), percentile(cpu, 0.95)))
                embedded_uc.append((percentile(use_cases, 0.5), percentile(use_cases, 0.95)))
                looks, _, _ = drive(client, client_officer, batch)
                http.append((percentile(looks, 0.5), percentile(looks, 0.95)))
                print(
                    f"[{backend}] round {r + 1}: look-up p50/p95 embedded {embedded[-1][0] * 1000:.2f}/"
                    f"{embedded[-1][1] * 1000:.2f} ms, "
                    f"http {http[-1][0] * 1000:.2f}/{http[-1][1] * 1000:.2f} ms"
                    f"; load average {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
        finally:
            adapter.close()
            proc.terminate()
            proc.wait(timeout=10)
            client.db.dispose()
            ctx.db.dispose()

        def med(pairs, i):
            return statistics.median(p[i] for p in pairs) * 1000

        return {
            "backend": backend,
            "citizens": report.citizens,
            "seed_s": seed_seconds,
            "generate_s": report.generate_seconds,
            "insert_s": report.insert_seconds,
            "cpu_s": report.cpu_seconds,
            "embedded_p50_ms": med(embedded, 0),
            "embedded_p95_ms": med(embedded, 1),
            "embedded_cpu_p50_ms": med(embedded_cpu, 0),
            "embedded_cpu_p95_ms": med(embedded_cpu, 1),
            "use_case_p50_ms": med(embedded_uc, 0),
            "use_case_p95_ms": med(embedded_uc, 1),
            "http_p50_ms": med(http, 0),
            "http_p95_ms": med(http, 1),
            "lookups_per_round": 2 * dossiers,
        }
    finally:
        for drop in drops:
            drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=1_000_000)
    parser.add_argument("--dossiers", type=int, default=300, help="dossiers per round (2 look-ups each)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    work = Path(tempfile.mkdtemp(prefix="motcua-registry-bench-"))
    try:
        results = [bench(b, args.citizens, args.dossiers, args.rounds, work) for b in backends]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()} (shared with other work)")
    print(
        "| backend | citizens | seed s (generate + insert) | seed CPU s | look-up p50 / p95 embedded ms "
        "(CPU ms) | "
        "use case p50 / p95 ms | look-up p50 / p95 HTTP loopback ms |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['backend']} | {r['citizens']:,} "
            f"| {r['seed_s']:.1f} ({r['generate_s']:.1f} + {r['insert_s']:.1f}) | {r['cpu_s']:.1f} "
            f"| {r['embedded_p50_ms']:.2f} / {r['embedded_p95_ms']:.2f} "
            f"({r['embedded_cpu_p50_ms']:.2f} / {r['embedded_cpu_p95_ms']:.2f}) "
            f"| {r['use_case_p50_ms']:.2f} / {r['use_case_p95_ms']:.2f} "
            f"| {r['http_p50_ms']:.2f} / {r['http_p95_ms']:.2f} |"
        )


if __name__ == "__main__":
    main()
