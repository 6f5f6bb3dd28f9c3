"""Timers fired by real rq worker processes on a real Redis and PostgreSQL, with time moved by a clock
file every process reads: the boundary timer escalates; a worker killed in the middle of a job loses
nothing and fires nothing twice; Redis stopped and started again catches up."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import services
from engine.calendar import TimeLimit
from engine.clock import VIETNAM
from engine.services import sla as sla_services
from engine.store.models import Event, Timer
from engine.store.sla_tables import SlaAlert
from tests.conftest import AGENCY
from workers.clock import FileClock

from .sla_support import AcceptOnSubmit, deploy_demo, use_clock

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def vn(*args) -> datetime:
    return datetime(*args, tzinfo=VIETNAM)


def wait_for(predicate, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what() if callable(what) else what}")


class Workers:
    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen] = []
        self.files = []

    def start(self, **extra: str) -> subprocess.Popen:
        log = open(self.log_dir / f"worker-{len(self.files)}.log", "w")  # noqa: SIM115 - closed in stop_all
        self.files.append(log)
        proc = subprocess.Popen(
            [sys.executable, "-m", "motcua.cli", "worker"],
            env={**self.env, **extra},
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        procs, self.procs = self.procs, []
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in self.files:
            log.close()
        self.files = []

    def logs(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.log_dir.glob("worker-*.log")))


@pytest.fixture
def setup(request, make_context, redis_url, redis_namespace, tmp_path):
    """A context on PostgreSQL (or SQLite when parametrised so) with a shared clock file, and a way
    to start worker processes."""
    database = getattr(request, "param", "postgresql")
    url = request.getfixturevalue("sqlite_url" if database == "sqlite" else "postgres_url")

    def make(start: datetime, redis: str | None = None, limit: TimeLimit = TimeLimit(10), boundary="P30D"):
        clock = FileClock(tmp_path / "clock")
        clock.set(start)
        ctx = make_context(url)
        use_clock(ctx, clock)
        ctx.listeners.insert(0, AcceptOnSubmit(limit))
        services.create_agency(ctx, AGENCY, "Trung tâm Phục vụ hành chính công phường Ba Đình")
        people = {
            key: services.create_user(ctx, name, name.title(), AGENCY, [role])
            for key, (name, role) in {
                "appraiser": ("thamdinh", "appraiser"),
                "supervisor": ("giamsat", "supervisor"),
            }.items()
        }
        deploy_demo(ctx, boundary)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_") and k != "REDIS_URL"},
            "PYTHONPATH": str(ROOT),
            "MOTCUA_DATABASE_URL": url,
            "MOTCUA_DATA_DIR": str(tmp_path),
            "REDIS_URL": redis or redis_url,
            "MOTCUA_REDIS_PREFIX": redis_namespace,
            "MOTCUA_CLOCK_FILE": str(tmp_path / "clock"),
            "MOTCUA_SWEEP_SECONDS": "0.3",
            "MOTCUA_CLAIM_SECONDS": "3",
        }
        log_dir = tmp_path / "logs"
        log_dir.mkdir(exist_ok=True)
        workers = Workers(env, log_dir)
        made.append(workers)
        return ctx, clock, people, workers

    made: list[Workers] = []
    yield make
    for workers in made:
        workers.stop_all()


def timer_states(ctx) -> list:
    with ctx.db.read() as s:
        return list(
            s.execute(select(Timer.dossier_id, Timer.kind, Timer.state, Timer.attempts, Timer.due_at))
        )


def alerts(ctx, kind: str | None = None) -> list:
    with ctx.db.read() as s:
        query = select(SlaAlert.dossier_id, SlaAlert.kind, SlaAlert.bpmn_id).order_by(SlaAlert.id)
        if kind:
            query = query.where(SlaAlert.kind == kind)
        return list(s.execute(query))


@pytest.mark.parametrize("setup", ["postgresql", "sqlite"], indirect=True)
def test_the_boundary_timer_escalates_through_a_worker(setup):
    ctx, clock, people, workers = setup(vn(2026, 3, 2, 8, 0), boundary="P2D")
    dossier = services.submit_dossier(ctx, "sla_demo", AGENCY, {})
    workers.start()
    clock.set(vn(2026, 3, 4, 8, 1))  # two days on: the boundary timer and the appraisal's SLA are due
    review = wait_for(
        lambda: services.list_tasks(ctx, people["supervisor"]),
        what=f"the supervisor's review\n{workers.logs()}",
    )
    assert (review[0].bpmn_id, review[0].dossier_id) == ("review", dossier.id)
    wait_for(lambda: alerts(ctx, "overdue"), what="the overdue escalation")
    [escalation] = [
        a for a in sla_services.list_escalations(ctx, people["supervisor"]) if a.kind == "overdue"
    ]
    assert escalation.bpmn_id == "appraise"
    events = [e.lifecycle for e in services.get_dossier(ctx, dossier.id).events]
    assert events.count("sla_overdue") == 1 and events.count("sla_reminder") == 1


@pytest.mark.parametrize("setup", ["postgresql", "sqlite"], indirect=True)
def test_a_worker_killed_mid_job_loses_nothing_and_fires_nothing_twice(setup, tmp_path):
    ctx, clock, people, workers = setup(vn(2026, 3, 2, 8, 0))
    dossiers = [services.submit_dossier(ctx, "sla_demo", AGENCY, {}) for _ in range(6)]
    marker = tmp_path / "started"
    victim = workers.start(MOTCUA_TEST_FIRE_PAUSE="30", MOTCUA_TEST_FIRE_MARKER=str(marker))
    clock.set(vn(2026, 3, 4, 16, 0))  # every appraisal's reminder and overdue timer is due
    wait_for(lambda: marker.exists() and marker.read_text().strip(), what=f"a job to start\n{workers.logs()}")
    victim.kill()  # SIGKILL in the middle of the job, its transaction open
    victim.wait()
    workers.start()
    workers.start()
    with ctx.db.read() as s:
        due = s.scalar(
            select(func.count()).select_from(Timer).where(Timer.kind.in_(("sla_reminder", "sla_overdue")))
        )
    assert due == 12
    wait_for(
        lambda: len(alerts(ctx)) >= 12,
        timeout=45,
        what=lambda: f"all timers to fire: {timer_states(ctx)}\n{workers.logs()}",
    )
    time.sleep(4)  # longer than a claim: any duplicate would have fired by now
    fired = alerts(ctx)
    assert len(fired) == 12
    assert sorted((a.dossier_id, a.kind) for a in fired) == sorted(
        (d.id, kind) for d in dossiers for kind in ("overdue", "reminder")
    )
    with ctx.db.read() as s:
        events = s.scalar(select(func.count()).select_from(Event).where(Event.lifecycle.like("sla_%")))
        pending = s.scalar(
            select(func.count())
            .select_from(Timer)
            .where(Timer.state == "pending", Timer.due_at <= clock.now())
        )
    assert events == 12
    assert pending == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_server(port: int, tmp_path: Path) -> subprocess.Popen:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is needed to stop and start a Redis of our own")
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
            "--logfile",
            str(tmp_path / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(port=port, socket_connect_timeout=0.5)
    wait_for(lambda: _pings(client), timeout=10, what="redis-server to start")
    return proc


def _pings(client) -> bool:
    try:
        return bool(client.ping())
    except Exception:  # noqa: BLE001 - not up yet
        return False


def test_redis_stopped_and_started_again_catches_up(setup, tmp_path):
    port = _free_port()
    server = _redis_server(port, tmp_path)
    try:
        ctx, clock, people, workers = setup(vn(2026, 3, 2, 8, 0), redis=f"redis://127.0.0.1:{port}/0")
        dossier = services.submit_dossier(ctx, "sla_demo", AGENCY, {})
        workers.start()
        clock.set(vn(2026, 3, 3, 14, 0))  # the reminder (12 of 16 hours, Tuesday 13:30) is due
        wait_for(lambda: alerts(ctx, "reminder"), what=f"the reminder\n{workers.logs()}")
        server.terminate()
        server.wait()
        clock.set(vn(2026, 3, 4, 16, 0))  # the overdue timer comes due while Redis is down
        # the application keeps working without Redis
        other = services.submit_dossier(ctx, "sla_demo", AGENCY, {})
        assert any(t.dossier_id == other.id for t in services.list_tasks(ctx, people["appraiser"]))
        time.sleep(2)
        assert alerts(ctx, "overdue") == []
        with ctx.db.read() as s:
            assert (
                s.scalar(
                    select(func.count())
                    .select_from(Timer)
                    .where(
                        Timer.dossier_id == dossier.id, Timer.state == "pending", Timer.kind == "sla_overdue"
                    )
                )
                == 1
            )
        server = _redis_server(port, tmp_path)
        wait_for(
            lambda: alerts(ctx, "overdue"),
            timeout=40,
            what=lambda: f"the overdue timer after Redis returned: {timer_states(ctx)}\n{workers.logs()}",
        )
        assert [a.dossier_id for a in alerts(ctx, "overdue")] == [dossier.id]
        workers.stop_all()  # while Redis is still there to say goodbye to
    finally:
        server.terminate()
        server.wait()


def test_reminder_and_apology_arrive_through_a_worker_at_the_right_working_time_across_tet(setup):
    # Received Friday 13 February 2026 at 14:00, the last working day before Tết (16-20 February), with
    # 3 working days; the 16-hour appraisal has 3 hours that Friday, 8 on Monday 23 February and is due
    # Tuesday 24 February 14:00; its reminder (12 hours) is due Tuesday 08:30. The dossier is due
    # Wednesday 25 February 14:00, so the apology alert is due Tuesday 14:00.
    ctx, clock, people, workers = setup(vn(2026, 2, 13, 14, 0), limit=TimeLimit(3))
    dossier = services.submit_dossier(ctx, "sla_demo", AGENCY, {})
    workers.start()
    for moment in (vn(2026, 2, 14, 9, 0), vn(2026, 2, 18, 10, 0), vn(2026, 2, 24, 8, 29)):
        clock.set(moment)  # a weekend, Tết, a minute early: nothing is due
        time.sleep(1.5)  # several sweeps
        assert alerts(ctx) == [], moment
    clock.set(vn(2026, 2, 24, 8, 30))
    wait_for(lambda: alerts(ctx, "reminder"), what=lambda: f"the reminder\n{workers.logs()}")
    assert [a.kind for a in alerts(ctx)] == ["reminder"]
    clock.set(vn(2026, 2, 24, 13, 59))
    time.sleep(1.5)
    assert [a.kind for a in alerts(ctx)] == ["reminder"]
    clock.set(vn(2026, 2, 24, 14, 0))
    wait_for(lambda: len(alerts(ctx)) == 3, what=lambda: f"the apology and the escalation\n{workers.logs()}")
    assert sorted(a.kind for a in alerts(ctx)) == ["apology", "overdue", "reminder"]
    assert {a.dossier_id for a in alerts(ctx)} == {dossier.id}
    [reminder] = sla_services.list_alerts(ctx, people["appraiser"])
    assert reminder.due_at == vn(2026, 2, 24, 14, 0)


def test_the_sweep_queues_its_dossiers_a_few_per_job_and_each_only_once(redis_url, redis_namespace):
    from redis import Redis

    from workers.timers import RedisTimerQueue

    connection = Redis.from_url(redis_url)
    queue = RedisTimerQueue(connection, redis_namespace, claim_seconds=60, job_size=20)
    due = vn(2026, 3, 4, 9, 0)
    claims = [(dossier_id, due) for dossier_id in range(1, 46)]
    try:
        assert queue(claims) == [True] * 45
        jobs = queue.queue.get_jobs()
        assert {job.func_name for job in jobs} == {"workers.timers.fire_dossiers"}
        assert [job.args[0] for job in jobs] == [list(range(1, 21)), list(range(21, 41)), list(range(41, 46))]
        # a later sweep sees the same dossiers still due, and one more: only that one is queued
        assert queue([*claims, (46, due)]) == [False] * 45 + [True]
        assert [job.args[0] for job in queue.queue.get_jobs()][3:] == [[46]]
    finally:
        queue.queue.empty()
        keys = list(connection.scan_iter(f"{redis_namespace}:*"))
        if keys:
            connection.delete(*keys)
