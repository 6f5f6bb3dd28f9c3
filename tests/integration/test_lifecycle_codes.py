"""Concurrent acceptances at one agency on one day get distinct, gap-free dossier codes."""

from __future__ import annotations

import threading

from engine import services
from engine.services import dossiers as lifecycle
from tests import lifecycle_support
from tests.conftest import AGENCY, fixture_file
from tests.lifecycle_support import vn

world = lifecycle_support.world

THREADS = 8


def test_concurrent_acceptances_get_distinct_codes(world):
    dossiers = [world.submit(applicant=f"Người nộp {n}") for n in range(THREADS)]
    tasks = [world.task(d.id, "intake") for d in dossiers]
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def accept(task) -> None:
        try:
            barrier.wait(timeout=30)
            services.complete_task(world.ctx, task.id, world.officers["intake"], {"decision": "accept"})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=accept, args=(t,)) for t in tasks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    codes = [lifecycle.get_lifecycle(world.ctx, d.id).code for d in dossiers]
    assert len(set(codes)) == THREADS
    assert sorted(codes) == [f"{AGENCY}-251103-{n:04d}" for n in range(1, THREADS + 1)]


def test_concurrent_submissions_accepted_on_submit_get_distinct_codes(world):
    services.deploy(world.ctx, [fixture_file("accept_on_submit.bpmn")])
    barrier = threading.Barrier(THREADS)
    made: list[int] = []
    errors: list[BaseException] = []

    def submit(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            view = services.submit_dossier(
                world.ctx,
                "accept_on_submit",
                AGENCY,
                {"applicant_name": f"Người nộp {n}"},
                world.officers["intake"],
            )
            made.append(view.id)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [] and len(made) == THREADS
    views = [lifecycle.get_lifecycle(world.ctx, d) for d in made]
    assert sorted(v.code for v in views) == [f"{AGENCY}-251103-{n:04d}" for n in range(1, THREADS + 1)]
    assert {(v.status, v.due_at) for v in views} == {(4, vn(4, 9))}
