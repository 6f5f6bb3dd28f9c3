"""The simulation job port: the in-process runner and rq with a real worker process on real Redis,
each running a small real simulation to completion with its progress reaching 100 %."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import pytest
from redis import Redis

from engine.config import PROJECT_ROOT
from workers.simulation import (
    RqSimulationJobs,
    SimulationRequest,
    ThreadSimulationJobs,
    queue_name,
    simulation_jobs,
)

FOLDER = PROJECT_ROOT / "processes" / "birth_registration"


def request(cases: int = 400, replications: int = 3, compare: bool = True, **extra) -> SimulationRequest:
    def read(name: str) -> str:
        return (FOLDER / name).read_text(encoding="utf-8")

    return SimulationRequest(
        label="Đăng ký khai sinh",
        bpmn=(("as-is.bpmn", read("as-is.bpmn")),),
        scenario=extra.pop("scenario", None) or json.loads(read("scenario.as-is.json")),
        to_be=(("to-be.bpmn", read("to-be.bpmn")),) if compare else None,
        to_be_scenario=json.loads(read("scenario.to-be.json")) if compare else None,
        cases=cases,
        replications=replications,
        seed=11,
        owner="phantich",
    )


def follow(jobs, job_id: str, limit: float) -> tuple[object, list[float]]:
    seen: list[float] = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        status = jobs.status(job_id)
        assert status is not None
        seen.append(status.progress)
        if status.done:
            return status, seen
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {limit} s; progress seen {seen[-5:]}")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_in_process_runner_runs_a_comparison_to_completion(ctx):
    jobs = simulation_jobs(ctx)
    assert isinstance(jobs, ThreadSimulationJobs)  # no REDIS_URL: the embedded runner
    job_id = jobs.submit(request(cases=1500, replications=2))
    status, seen = follow(jobs, job_id, 40)
    assert status.state == "finished" and status.percent == 100 and status.progress == 1.0
    assert seen == sorted(seen)  # progress never goes back
    assert status.result["as_is"]["settings"]["cases"] == 1500
    assert status.result["difference"]["cycle_time"]["mean"] < 0  # the to-be is faster
    assert [j.id for j in jobs.recent("phantich")] == [job_id] and jobs.recent("someone-else") == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_in_process_runner_reports_a_refused_scenario(ctx):
    jobs = ThreadSimulationJobs(ctx)
    broken = json.loads((FOLDER / "scenario.as-is.json").read_text(encoding="utf-8"))
    broken["arrivals"] = {"per_day": -3}
    status, _ = follow(jobs, jobs.submit(request(compare=False, scenario=broken)), 20)
    assert status.state == "failed" and status.result is None and "arrivals" in status.error


@pytest.fixture
def rq_url(redis_url) -> str:
    """The test Redis server, database 13 (apart from the timer tests' keys)."""
    parts = urlsplit(redis_url)
    return urlunsplit((parts.scheme, parts.netloc, "/13", parts.query, ""))


@pytest.fixture
def rq_worker(rq_url, redis_namespace, sqlite_url, tmp_path):
    """A real rq worker process on the namespaced simulation queue (SimpleWorker, as motcua worker)."""
    code = (
        "import sys; from redis import Redis; from rq import Queue, SimpleWorker\n"
        "r = Redis.from_url(sys.argv[1])\n"
        "SimpleWorker([Queue(sys.argv[2], connection=r)], connection=r).work(logging_level='WARNING')\n"
    )
    env = {
        **os.environ,
        "MOTCUA_DATABASE_URL": sqlite_url,
        "MOTCUA_DATA_DIR": str(tmp_path),
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [sys.executable, "-c", code, rq_url, queue_name(redis_namespace)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield worker
    worker.terminate()
    try:
        worker.wait(10)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
    log.close()
    connection = Redis.from_url(rq_url)
    keys = connection.keys(f"*{redis_namespace}*")
    if keys:
        connection.delete(*keys)
    connection.close()


def test_rq_runner_with_a_real_worker(rq_url, redis_namespace, rq_worker, tmp_path):
    jobs = RqSimulationJobs.from_url(rq_url, prefix=redis_namespace)
    job_id = jobs.submit(request(cases=1500, replications=2))
    queued = jobs.status(job_id)
    assert (
        queued is not None and queued.state in ("queued", "running") and queued.label == "Đăng ký khai sinh"
    )
    status, seen = follow(jobs, job_id, 45)
    log = (tmp_path / "worker.log").read_text()
    assert status.state == "finished", (status.error, log)
    assert status.percent == 100 and status.progress == 1.0 and seen == sorted(seen)
    assert status.result["to_be"]["process_id"] == "birth_registration_to_be"
    assert status.result["difference"]["cycle_time"]["mean"] < 0
    assert [j.id for j in jobs.recent()] == [job_id]
    # a scenario the simulator refuses: the job fails and the analyst reads why
    broken = json.loads((FOLDER / "scenario.as-is.json").read_text(encoding="utf-8"))
    broken["arrivals"] = {"per_day": -3}
    failed, _ = follow(jobs, jobs.submit(request(compare=False, scenario=broken)), 30)
    assert failed.state == "failed" and "arrivals" in failed.error
    assert jobs.status("not-a-job") is None
    assert rq_worker.poll() is None  # the worker survived both jobs


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_analyst_pages_on_the_rq_runner(app, signed_in, rq_url, redis_namespace, rq_worker):
    """The same pages with the rq runner behind the port: the view does not change."""
    app.extensions["motcua_simulation_jobs"] = RqSimulationJobs.from_url(rq_url, prefix=redis_namespace)
    analyst = signed_in("phantich")
    response = analyst.post(
        "/analyst/run",
        {"source": "catalog", "procedure": "birth_registration", "mode": "to-be", "cases": "200"},
    )
    assert response.status_code == 303
    job_url = response.headers["Location"]
    assert f"/analyst/jobs/{redis_namespace}-sim-" in job_url
    deadline = time.monotonic() + 30
    while (
        analyst.get(job_url + "/progress", headers={"HX-Request": "true"}).headers.get("HX-Refresh") != "true"
    ):
        assert time.monotonic() < deadline, "the rq job did not finish"
        time.sleep(0.1)
    page = analyst.get(job_url).get_data(as_text=True)
    assert "birth_registration_to_be" in page and 'id="kpi-table"' in page
    assert analyst.get(job_url + "/report.html").status_code == 200
