"""Two officers acting on the same task at the same moment: exactly one wins, nothing is lost."""

from __future__ import annotations

import contextlib
import threading

import pytest
from sqlalchemy import select

from engine import services
from engine.errors import Conflict
from engine.store.models import Event, HumanTask, WorkflowState
from tests.conftest import AGENCY, fixture_file


def _hold_both_until_loaded(ctx, parties: int = 2) -> None:
    """Make each completion wait, with the workflow state loaded, until the others have loaded theirs
    too (or a second passes: SQLite lets only one writer in, so there the second waits at BEGIN)."""
    barrier = threading.Barrier(parties, timeout=1.0)
    original = ctx.runtime.complete_human_task

    def complete_after_everyone_loaded(*args, **kwargs):
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return original(*args, **kwargs)

    ctx.runtime.complete_human_task = complete_after_everyone_loaded


@pytest.mark.parametrize("attempt", range(3))
def test_concurrent_completion_has_exactly_one_winner(ctx, officers, attempt):
    services.deploy(ctx, [fixture_file("five_stage.bpmn")])
    second = services.create_user(ctx, f"tiepnhan{attempt}b", "Second Intake", AGENCY, ["intake_officer"])
    dossier = services.submit_dossier(ctx, "five_stage", AGENCY, {"exempt": True}, officers["intake"])
    [task] = services.list_tasks(ctx, officers["intake"])
    with ctx.db.read() as s:
        version_before = s.get(WorkflowState, dossier.id).version
    _hold_both_until_loaded(ctx)

    results: dict[str, object] = {}

    def complete(officer, note):
        try:
            results[officer.username] = services.complete_task(
                ctx, task.id, officer, {"complete": True, "by": note}
            )
        except Conflict as exc:
            results[officer.username] = exc

    threads = [threading.Thread(target=complete, args=(o, o.username)) for o in (officers["intake"], second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    winners = [name for name, r in results.items() if not isinstance(r, Exception)]
    losers = [r for r in results.values() if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert losers[0].message  # a clear message, not a stack trace

    with ctx.db.read() as s:
        assert s.get(WorkflowState, dossier.id).version == version_before + 1
        done = s.get(HumanTask, task.id)
        assert done.state == "completed"
        assert (
            s.scalar(
                select(HumanTask.data).where(HumanTask.dossier_id == dossier.id, HumanTask.state == "open")
            )["by"]
            == winners[0]
        )
        open_tasks = s.scalars(
            select(HumanTask).where(HumanTask.dossier_id == dossier.id, HumanTask.state == "open")
        ).all()
        assert [t.bpmn_id for t in open_tasks] == ["appraise"]
        completions = s.scalars(
            select(Event).where(
                Event.dossier_id == dossier.id, Event.activity == "intake", Event.lifecycle == "complete"
            )
        ).all()
        assert [(e.actor, e.data["by"]) for e in completions] == [(winners[0], winners[0])]


def test_concurrent_claims_have_exactly_one_winner(ctx, officers):
    services.deploy(ctx, [fixture_file("five_stage.bpmn")])
    others = [
        services.create_user(ctx, f"tn{i}", f"Intake {i}", AGENCY, ["intake_officer"]) for i in range(4)
    ]
    services.submit_dossier(ctx, "five_stage", AGENCY, {"exempt": True}, officers["intake"])
    [task] = services.list_tasks(ctx, officers["intake"])
    outcomes: list = []
    start = threading.Barrier(len(others))

    def claim(officer):
        start.wait()
        try:
            outcomes.append(services.claim_task(ctx, task.id, officer).assignee)
        except Conflict as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=claim, args=(o,)) for o in others]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    winners = [o for o in outcomes if isinstance(o, str)]
    assert len(winners) == 1 and len(outcomes) == 4
    assert services.get_task(ctx, task.id).assignee == winners[0]


@pytest.mark.postgres
def test_a_deadlock_between_two_use_cases_is_a_clear_conflict_for_one_of_them(make_context, postgres_url):
    from sqlalchemy import update

    from engine.services import unit_of_work
    from engine.store.models import Agency

    ctx = make_context(postgres_url)
    first = services.create_agency(ctx, AGENCY, "Trung tâm A")
    second = services.create_agency(ctx, "000.00.98.H26", "Trung tâm B")
    both_hold_one = threading.Barrier(2, timeout=10)
    outcomes: dict[str, object] = {}

    def rename(name: str, order: list[int]) -> None:
        try:
            with unit_of_work(ctx) as s:
                for n, agency_id in enumerate(order):
                    s.execute(update(Agency).where(Agency.id == agency_id).values(name=f"{name} {n}"))
                    if n == 0:
                        both_hold_one.wait()  # each holds one row and now wants the other's
            outcomes[name] = "saved"
        except Conflict as exc:
            outcomes[name] = exc

    threads = [
        threading.Thread(target=rename, args=("left", [first.id, second.id])),
        threading.Thread(target=rename, args=("right", [second.id, first.id])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(map(type, outcomes.values()), key=str) == sorted([str, Conflict], key=str), outcomes
    [conflict] = [o for o in outcomes.values() if isinstance(o, Conflict)]
    assert "nothing of yours was saved" in conflict.message
    [winner] = [name for name, o in outcomes.items() if o == "saved"]
    assert {a.name for a in services.list_agencies(ctx)} == {f"{winner} 0", f"{winner} 1"}
