"""Timers on rq: the sweep queues the dossiers with due timers, a few per job; the job fires them.

The database timer table is the truth; Redis only carries work. A claim key per dossier and earliest
due time (``SET NX`` with a time to live) keeps a dossier from being queued twice while its job is
waiting or running; if a worker dies mid-job the claim runs out and the next sweep queues it again.
A job fires its dossiers in one transaction (each in its own if that fails, see
:func:`engine.services.sla.fire_due_timers`) and firing is idempotent, so a job that dies half-way
loses nothing and no timer fires twice. Several dossiers share a job because rq's own bookkeeping
per job costs about as much as a fire. If Redis is unreachable the sweep rolls back and tries again
later; no timer is lost.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
from datetime import datetime

from engine.context import Context
from engine.errors import Conflict
from engine.services import sla as sla_services

log = logging.getLogger("motcua.workers")

DEFAULT_PREFIX = "motcua"
DEFAULT_CLAIM_SECONDS = 300
DEFAULT_SWEEP_SECONDS = 5.0
DEFAULT_JOB_SIZE = 20

_context: Context | None = None


def set_context(ctx: Context) -> None:
    """The context jobs run with in this process (set once by ``motcua worker``)."""
    global _context
    _context = ctx


def _ctx() -> Context:
    global _context
    if _context is None:
        from motcua.bootstrap import bootstrap

        from .clock import clock_from_env

        _context = bootstrap(clock=clock_from_env())
        _sync_runtime_clock(_context)
    return _context


def _sync_runtime_clock(ctx: Context) -> None:
    ctx.runtime.clock = ctx.clock.now


def fire_dossiers(dossier_ids: list[int]) -> dict:
    """The rq job: fire the due timers of a few dossiers (see
    :func:`engine.services.sla.fire_due_timers`); a dossier an officer changed at that moment is
    fired again on its new state."""
    pause = float(os.environ.get("MOTCUA_TEST_FIRE_PAUSE", "0") or 0)  # tests only: widen the kill window
    hook = (lambda: _pause_inside(dossier_ids, pause)) if pause else None
    ids = list(dossier_ids)
    for attempt in range(3):
        try:
            results = sla_services.fire_due_timers(_ctx(), ids, before_commit=hook)
        except Conflict:
            if attempt == 2:
                raise
            time.sleep(0.05 * (attempt + 1))
            continue
        return {
            "dossiers": len(results),
            "fired": sum(r.fired for r in results),
            "cancelled": sum(r.cancelled for r in results),
        }
    raise AssertionError("unreachable")


def _pause_inside(dossier_ids: list[int], pause: float) -> None:
    """Tests only: with the timers fired but not yet committed, say so (a marker file) and wait, so a
    test can kill the worker in the middle of the job."""
    marker = os.environ.get("MOTCUA_TEST_FIRE_MARKER")
    if marker:
        with open(marker, "a", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()} {','.join(map(str, dossier_ids))} {time.time():.2f}\n")
    time.sleep(pause)


class RedisTimerQueue:
    """Queues fire jobs on rq, deduplicated by a claim key per dossier and due time, up to
    ``job_size`` dossiers per job."""

    def __init__(
        self,
        connection,
        prefix: str = DEFAULT_PREFIX,
        claim_seconds: int = DEFAULT_CLAIM_SECONDS,
        job_size: int = DEFAULT_JOB_SIZE,
    ):
        from rq import Queue

        if job_size < 1:
            raise ValueError("a fire job needs room for at least one dossier")
        self.connection = connection
        self.prefix = prefix
        self.claim_seconds = claim_seconds
        self.job_size = job_size
        self.queue = Queue(f"{prefix}-timers", connection=connection)

    def claim_key(self, dossier_id: int, due_at: datetime) -> str:
        return f"{self.prefix}:timer-claim:{dossier_id}:{int(due_at.timestamp())}"

    def __call__(self, claims: list[tuple[int, datetime]]) -> list[bool]:
        pipe = self.connection.pipeline(transaction=False)
        for dossier_id, due_at in claims:
            pipe.set(self.claim_key(dossier_id, due_at), "1", nx=True, ex=self.claim_seconds)
        fresh = [bool(ok) for ok in pipe.execute()]
        if not any(fresh):
            return fresh
        fresh_claims = [claim for claim, new in zip(claims, fresh, strict=True) if new]
        chunks = [fresh_claims[i : i + self.job_size] for i in range(0, len(fresh_claims), self.job_size)]
        seq = self.connection.incrby(f"{self.prefix}:timer-job-seq", len(chunks))
        jobs = []
        for n, chunk in enumerate(chunks):
            dossier_id, due_at = chunk[0]
            jobs.append(
                self.queue.prepare_data(
                    fire_dossiers,
                    args=([d for d, _ in chunk],),
                    job_id=f"{self.prefix}-fire-{dossier_id}-{int(due_at.timestamp())}-{seq - n}",
                    timeout=self.claim_seconds + 60,
                    result_ttl=0,  # the database has the outcome; saves Redis round trips per job
                    failure_ttl=24 * 3600,
                )
            )
        try:
            self.queue.enqueue_many(jobs)
        except Exception:
            pipe = self.connection.pipeline(transaction=False)
            for dossier_id, due_at in fresh_claims:  # the others belong to jobs queued earlier
                pipe.delete(self.claim_key(dossier_id, due_at))
            with contextlib.suppress(Exception):  # the claims expire on their own anyway
                pipe.execute()
            raise
        return fresh


class Sweeper(threading.Thread):
    """Runs ``sweep_once`` every ``interval`` seconds until stopped; errors are logged, not fatal."""

    def __init__(self, sweep_once, interval: float = DEFAULT_SWEEP_SECONDS, name: str = "motcua-sweeper"):
        super().__init__(name=name, daemon=True)
        self.sweep_once = sweep_once
        self.interval = interval
        self.stopped = threading.Event()
        self.runs = 0
        self.last_error: str | None = None

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.sweep_once()
                self.last_error = None
            except Exception as exc:  # noqa: BLE001 - Redis or the database away: try again later
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("timer sweep failed, will retry: %s", self.last_error)
            self.runs += 1
            self.stopped.wait(self.interval)

    def stop(self) -> None:
        self.stopped.set()


BACKLOG_LIMIT = 100  # jobs


def redis_sweep(ctx: Context, queue: RedisTimerQueue, backlog_limit: int = BACKLOG_LIMIT):
    """One sweep; skipped while the queue still holds ``backlog_limit`` jobs (the work is there
    already; walking the due timers again would only take time from firing them)."""

    def sweep() -> int:
        if queue.queue.count >= backlog_limit:
            return 0
        return sla_services.claim_due_timers(ctx, queue)

    return sweep


def embedded_sweep(ctx: Context):
    """Without Redis: fire due dossiers directly, in this process (``motcua serve``'s default)."""

    def sweep() -> int:
        fired = 0
        for dossier_id in sla_services.due_dossiers(ctx):
            try:
                fired += sla_services.fire_dossier_timers(ctx, dossier_id).fired
            except Exception as exc:  # noqa: BLE001 - one dossier's failure must not stop the others
                log.warning("firing timers of dossier %s failed: %s", dossier_id, exc)
        return fired

    return sweep


def start_embedded_sweeper(ctx: Context, interval: float = DEFAULT_SWEEP_SECONDS) -> Sweeper | None:
    """Start the in-process sweeper when no Redis is configured; None when workers do the job."""
    if ctx.settings.redis_url:
        return None
    sweeper = Sweeper(embedded_sweep(ctx), interval, name="motcua-embedded-sweeper")
    sweeper.start()
    return sweeper


def _die_with_parent() -> None:
    """In a child forked from the worker (rq's scheduler process): die when the worker dies.

    The child inherits the worker's database sockets; if it outlived a killed worker it would keep the
    killed job's transaction, and its row locks, open on PostgreSQL. Linux only (prctl)."""
    if not sys.platform.startswith("linux"):
        return
    parent = _worker_pid
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the worker died before prctl took effect
        os._exit(1)


_worker_pid = 0


def run_worker(
    ctx: Context,
    redis_url: str,
    *,
    prefix: str = DEFAULT_PREFIX,
    sweep_interval: float = DEFAULT_SWEEP_SECONDS,
    claim_seconds: int = DEFAULT_CLAIM_SECONDS,
    job_size: int = DEFAULT_JOB_SIZE,
    burst: bool = False,
    name: str | None = None,
    log_level: str = "WARNING",
) -> None:
    """An rq worker (with its scheduler) on this deployment's timer and simulation queues, plus a
    sweeper thread.

    A SimpleWorker runs jobs in this process: no fork per job, so the parsed-model cache and the
    database pool stay warm. Survives Redis going away: rq retries with back-off, and the loop
    below starts the worker again if it gives up."""
    from redis import Redis
    from rq import Queue, SimpleWorker

    global _worker_pid
    set_context(ctx)
    _sync_runtime_clock(ctx)
    if not _worker_pid:
        _worker_pid = os.getpid()
        os.register_at_fork(after_in_child=_die_with_parent)
    connection = Redis.from_url(redis_url, socket_connect_timeout=2, health_check_interval=10)
    queue = RedisTimerQueue(connection, prefix, claim_seconds, job_size)
    sweeper = Sweeper(redis_sweep(ctx, queue), sweep_interval)
    sweeper.start()
    try:
        while True:
            try:
                # Timers first; the analysts' simulation jobs (workers.simulation) when none are due.
                simulations = Queue(f"{prefix}-simulations", connection=connection)
                worker = SimpleWorker([queue.queue, simulations], connection=connection, name=name)
                worker.max_connection_wait_time = 2.0
                worker.work(burst=burst, with_scheduler=True, logging_level=log_level)
                return  # burst done, or a requested (warm) shutdown
            except KeyboardInterrupt:
                return
            except Exception as exc:  # noqa: BLE001 - Redis away: wait and start again
                log.warning("worker stopped (%s: %s); restarting in 1 s", type(exc).__name__, exc)
                time.sleep(1)
                name = None  # a fresh registration
    finally:
        sweeper.stop()
