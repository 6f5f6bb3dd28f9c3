"""Simulation runs as background jobs: one small port, two runners.

:class:`SimulationJobs` is what the web pages use: ``submit`` a :class:`SimulationRequest`, read a
:class:`JobStatus` back by id (progress 0..1, then the JSON report or an error). Two runners:

- :class:`RqSimulationJobs` when REDIS_URL is configured: an rq job on the ``<prefix>-simulations``
  queue; the worker (``motcua worker``) reports progress in ``job.meta`` and returns the report;
- :class:`ThreadSimulationJobs` otherwise (the embedded default): a background thread in this
  process, progress and results in memory (one job at a time, so a busy page cannot eat the CPU).

The job itself (:func:`run_request`) is thin: it calls ``engine.services.simulation.run_simulation``.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from engine.bpmn.validation import SourceFile
from engine.context import Context
from engine.errors import InvalidInput
from engine.services.simulation import run_simulation
from engine.simulation import load_scenario

from .timers import DEFAULT_PREFIX

#: How long finished jobs and their reports are kept (seconds).
RESULT_TTL = 7 * 24 * 3600
#: A job running longer than this is stopped (seconds).
JOB_TIMEOUT = 3600
#: How many jobs the analyst page lists.
RECENT = 30


@dataclass(frozen=True)
class SimulationRequest:
    """What to simulate: BPMN files as (filename, text) pairs; ``to_be`` set for a comparison."""

    label: str
    bpmn: tuple[tuple[str, str], ...]
    scenario: dict[str, Any]
    to_be: tuple[tuple[str, str], ...] | None = None
    to_be_scenario: dict[str, Any] | None = None
    cases: int | None = None
    replications: int | None = None
    seed: int | None = None
    owner: str | None = None

    @property
    def kind(self) -> str:
        return "compare" if self.to_be else "simulate"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> SimulationRequest:
        def files(value):
            return tuple((str(n), str(t)) for n, t in value) if value else None

        return cls(**{**raw, "bpmn": files(raw["bpmn"]), "to_be": files(raw.get("to_be"))})

    def total_steps(self) -> int:
        """Arrivals the runner will report (warm-up included, every replication, both variants)."""
        total = 0
        for scenario in (self.scenario, self.to_be_scenario or self.scenario)[: 2 if self.to_be else 1]:
            sc = load_scenario(scenario)
            cases = self.cases if self.cases is not None else sc.cases
            reps = self.replications if self.replications is not None else sc.replications
            total += (cases + sc.warmup_cases) * reps
        return max(total, 1)


@dataclass(frozen=True)
class JobStatus:
    id: str
    label: str
    kind: str
    owner: str | None
    state: str  # queued | running | finished | failed
    progress: float  # 0..1
    created_at: datetime
    error: str | None = None
    result: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def percent(self) -> int:
        return 100 if self.state == "finished" else min(99, int(self.progress * 100))

    @property
    def done(self) -> bool:
        return self.state in ("finished", "failed")


class SimulationJobs(Protocol):
    """The port the web pages use; they do not care where the job runs."""

    def submit(self, request: SimulationRequest) -> str: ...

    def status(self, job_id: str) -> JobStatus | None: ...

    def recent(self, owner: str | None = None) -> list[JobStatus]:
        """The latest jobs, newest first (their results may be left out: read them with status)."""
        ...


def _sources(files: tuple[tuple[str, str], ...] | None) -> list[SourceFile] | None:
    return [SourceFile(name, text.encode("utf-8")) for name, text in files] if files else None


def run_request(ctx: Context | None, request: SimulationRequest, progress=None) -> dict[str, Any]:
    """The job: run the simulation (or comparison) the request asks for; the JSON report."""
    return run_simulation(
        ctx,
        _sources(request.bpmn) or [],
        request.scenario,
        to_be=_sources(request.to_be),
        to_be_scenario=request.to_be_scenario,
        cases=request.cases,
        replications=request.replications,
        seed=request.seed,
        progress=progress,
    )


class _Counter:
    """Counts reported arrivals; calls ``publish(fraction)`` at most every ``every`` seconds."""

    def __init__(self, total: int, publish, every: float = 0.25):
        self.total, self.publish, self.every = total, publish, every
        self.done = 0
        self.last = 0.0

    def __call__(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if now - self.last >= self.every or self.done >= self.total:
            self.last = now
            self.publish(min(1.0, self.done / self.total))


# =========================================================================== in-process runner


class ThreadSimulationJobs:
    """Jobs on a background thread of this process (no Redis): the embedded default."""

    def __init__(self, ctx: Context | None, keep: int = 100):
        self.ctx = ctx
        self.keep = keep
        self._jobs: OrderedDict[str, JobStatus] = OrderedDict()
        self._lock = threading.Lock()
        self._one_at_a_time = threading.Semaphore(1)

    def _update(self, job_id: str, **changes: Any) -> None:
        with self._lock:
            old = self._jobs[job_id]
            self._jobs[job_id] = JobStatus(**{**old.__dict__, **changes})

    def submit(self, request: SimulationRequest) -> str:
        job_id = uuid.uuid4().hex
        status = JobStatus(
            job_id, request.label, request.kind, request.owner, "queued", 0.0, datetime.now(UTC)
        )
        with self._lock:
            self._jobs[job_id] = status
            while len(self._jobs) > self.keep:
                self._jobs.popitem(last=False)
        threading.Thread(
            target=self._run, args=(job_id, request), name=f"simulation-{job_id[:8]}", daemon=True
        ).start()
        return job_id

    def _run(self, job_id: str, request: SimulationRequest) -> None:
        with self._one_at_a_time:
            self._update(job_id, state="running")
            try:
                counter = _Counter(request.total_steps(), lambda f: self._update(job_id, progress=f))
                result = run_request(self.ctx, request, counter)
            except InvalidInput as exc:
                self._update(job_id, state="failed", error=exc.message)
            except Exception as exc:  # noqa: BLE001 - shown to the analyst, the page keeps working
                self._update(job_id, state="failed", error=f"{type(exc).__name__}: {exc}")
            else:
                self._update(job_id, state="finished", progress=1.0, result=result)

    def status(self, job_id: str) -> JobStatus | None:
        with self._lock:
            return self._jobs.get(job_id)

    def recent(self, owner: str | None = None) -> list[JobStatus]:
        with self._lock:
            jobs = list(reversed(self._jobs.values()))
        return [j for j in jobs if owner is None or j.owner == owner][:RECENT]


# =========================================================================== rq runner


def queue_name(prefix: str = DEFAULT_PREFIX) -> str:
    return f"{prefix}-simulations"


def simulation_job(raw_request: dict[str, Any]) -> dict[str, Any]:
    """The rq job function: progress in ``job.meta['progress']``, the report as the job's result."""
    from rq import get_current_job

    from .timers import _ctx

    request = SimulationRequest.from_dict(raw_request)
    job = get_current_job()

    def publish(fraction: float) -> None:
        if job is not None:
            job.meta["progress"] = fraction
            job.save_meta()

    try:
        return run_request(_ctx(), request, _Counter(request.total_steps(), publish, every=0.5))
    except InvalidInput as exc:
        if job is not None:
            job.meta["error"] = exc.message
            job.save_meta()
        raise


class RqSimulationJobs:
    """Jobs on rq: the web process enqueues, ``motcua worker`` runs them."""

    def __init__(self, connection, prefix: str = DEFAULT_PREFIX):
        from rq import Queue

        self.connection = connection
        self.prefix = prefix
        self.queue = Queue(queue_name(prefix), connection=connection)
        self.index_key = f"{prefix}:simulation-jobs"

    @classmethod
    def from_url(cls, url: str, prefix: str = DEFAULT_PREFIX) -> RqSimulationJobs:
        from redis import Redis

        return cls(Redis.from_url(url, socket_connect_timeout=2), prefix)

    def submit(self, request: SimulationRequest) -> str:
        job_id = f"{self.prefix}-sim-{uuid.uuid4().hex}"
        self.queue.enqueue(
            simulation_job,
            request.to_dict(),
            job_id=job_id,
            job_timeout=JOB_TIMEOUT,
            result_ttl=RESULT_TTL,
            failure_ttl=RESULT_TTL,
            meta={
                "label": request.label,
                "kind": request.kind,
                "owner": request.owner,
                "progress": 0.0,
                "created_at": datetime.now(UTC).isoformat(),
            },
        )
        pipe = self.connection.pipeline(transaction=False)
        pipe.lpush(self.index_key, job_id)
        pipe.ltrim(self.index_key, 0, 199)
        pipe.expire(self.index_key, RESULT_TTL)
        pipe.execute()
        return job_id

    def status(self, job_id: str, with_result: bool = True) -> JobStatus | None:
        from rq.exceptions import NoSuchJobError
        from rq.job import Job
        from rq.job import JobStatus as RqStatus

        if not job_id.startswith(f"{self.prefix}-sim-"):
            return None
        try:
            job = Job.fetch(job_id, connection=self.connection)
        except NoSuchJobError:
            return None
        meta = job.get_meta(refresh=True)
        state = job.get_status(refresh=False)
        result, error = None, None
        if state == RqStatus.FINISHED:
            kind, result = "finished", (job.return_value() if with_result else None)
        elif state in (RqStatus.FAILED, RqStatus.STOPPED, RqStatus.CANCELED):
            kind = "failed"
            error = (
                meta.get("error") or "Mô phỏng gặp lỗi không mong đợi. / The simulation failed unexpectedly."
            )
        elif state == RqStatus.STARTED:
            kind = "running"
        else:
            kind = "queued"
        created = meta.get("created_at")
        return JobStatus(
            job.id,
            str(meta.get("label", "")),
            str(meta.get("kind", "simulate")),
            meta.get("owner"),
            kind,
            float(meta.get("progress", 0.0)),
            datetime.fromisoformat(created) if created else datetime.now(UTC),
            error,
            result,
        )

    def recent(self, owner: str | None = None) -> list[JobStatus]:
        found = []
        for raw in self.connection.lrange(self.index_key, 0, 199):
            status = self.status(raw.decode() if isinstance(raw, bytes) else raw, with_result=False)
            if status is not None and (owner is None or status.owner == owner):
                found.append(status)
                if len(found) >= RECENT:
                    break
        return found


def simulation_jobs(ctx: Context, prefix: str = DEFAULT_PREFIX) -> SimulationJobs:
    """The runner this deployment uses: rq when REDIS_URL is configured, else a thread."""
    if ctx.settings.redis_url:
        return RqSimulationJobs.from_url(ctx.settings.redis_url, prefix)
    return ThreadSimulationJobs(ctx)
