"""SLA timers fired in-process on SQLite and PostgreSQL: reminders, apology alerts and escalations at
the right working time, across a weekend and across Tết; the report and the control slip."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from engine import services
from engine.calendar import TimeLimit
from engine.clock import VIETNAM, ManualClock
from engine.errors import PermissionDenied
from engine.services import sla as sla_services
from engine.store.models import Dossier, Timer, WorkflowState
from engine.store.sla_tables import SlaAlert
from tests.conftest import AGENCY

from .sla_support import AcceptOnSubmit, deploy_demo, sla_context, use_clock


def vn(*args) -> datetime:
    return datetime(*args, tzinfo=VIETNAM)


def fire_all(ctx) -> list[str]:
    kinds = []
    for dossier_id in sla_services.due_dossiers(ctx):
        kinds += sla_services.fire_dossier_timers(ctx, dossier_id).kinds
    return kinds


def move_to(ctx, moment: datetime) -> list[str]:
    ctx.clock.set(moment)
    return fire_all(ctx)


@pytest.fixture
def officers_at(make_context, database_url):
    def make(start: datetime, limit: TimeLimit = TimeLimit(3), boundary: str = "P30D"):
        ctx = sla_context(make_context, database_url, start, limit)
        people = {}
        services.create_agency(ctx, AGENCY, "Trung tâm Phục vụ hành chính công phường Ba Đình")
        for key, (name, role) in {
            "appraiser": ("thamdinh", "appraiser"),
            "approver": ("pheduyet", "approver"),
            "supervisor": ("giamsat", "supervisor"),
        }.items():
            people[key] = services.create_user(ctx, name, name.title(), AGENCY, [role])
        deploy_demo(ctx, boundary)
        return ctx, people

    return make


def test_reminder_and_escalation_across_a_weekend(officers_at):
    # Thursday 5 March 2026, 14:00: the 16-hour appraisal is due Monday 9 March 14:00 (3 h Thu, 8 h Fri,
    # 5 h Mon); 75 % (12 h) is reached on Monday at 08:30, not over the weekend.
    ctx, people = officers_at(vn(2026, 3, 5, 14, 0), TimeLimit(10))
    dossier = services.submit_dossier(ctx, "sla_demo", AGENCY, {})
    task = services.list_tasks(ctx, people["appraiser"])[0]
    services.claim_task(ctx, task.id, people["appraiser"])
    assert task.due_at == vn(2026, 3, 9, 14, 0)
    assert move_to(ctx, vn(2026, 3, 7, 12, 0)) == []  # Saturday: nothing yet
    assert move_to(ctx, vn(2026, 3, 9, 8, 29)) == []
    assert move_to(ctx, vn(2026, 3, 9, 8, 30)) == ["sla_reminder"]  # 12 working hours in
    reminders = sla_services.list_alerts(ctx, people["appraiser"])
    assert [(a.kind, a.recipient) for a in reminders] == [("reminder", "thamdinh")]
    assert sla_services.list_escalations(ctx, people["supervisor"]) == []
    assert move_to(ctx, vn(2026, 3, 9, 13, 59)) == []
    assert move_to(ctx, vn(2026, 3, 9, 14, 0)) == ["sla_overdue"]
    [escalation] = sla_services.list_escalations(ctx, people["supervisor"])
    assert (escalation.kind, escalation.dossier_id, escalation.bpmn_id) == ("overdue", dossier.id, "appraise")
    events = services.get_dossier(ctx, dossier.id).events
    assert [e.lifecycle for e in events if e.lifecycle.startswith("sla_")] == ["sla_reminder", "sla_overdue"]
    # firing again changes nothing: each timer fires once
    assert move_to(ctx, vn(2026, 3, 10, 16, 0)) == []
    with pytest.raises(PermissionDenied):
        sla_services.list_escalations(ctx, people["appraiser"])
    sla_services.acknowledge_alert(ctx, escalation.id, people["supervisor"])
    assert sla_services.list_escalations(ctx, people["supervisor"]) == []


def test_completing_a_step_cancels_its_timers(officers_at):
    ctx, people = officers_at(vn(2026, 3, 2, 8, 0))
    dossier = services.submit_dossier(ctx, "sla_demo", AGENCY, {})
    task = services.list_tasks(ctx, people["appraiser"])[0]
    services.complete_task(ctx, task.id, people["appraiser"], {})
    move_to(ctx, vn(2026, 3, 6, 16, 0))  # long after the appraisal would have been due
    escalated = sla_services.list_escalations(ctx, people["supervisor"])
    assert {a.bpmn_id for a in escalated if a.kind == "overdue"} == {"approve"}  # not "appraise"
    with ctx.db.read() as s:
        states = dict(
            s.execute(
                select(Timer.kind, Timer.state).where(
                    Timer.dossier_id == dossier.id, Timer.task_id == task.id
                )
            ).all()
        )
    assert states == {"sla_reminder": "cancelled", "sla_overdue": "cancelled"}


def test_apology_alert_one_working_day_before_the_due_date_across_tet(officers_at):
    # Received Thursday 12 February 2026 at 10:00 with 3 working days: 1.x days before Tết (16-20 Feb)
    # and the rest after it; due Tuesday 24 February 10:00. The apology alert comes one working day
    # before: Monday 23 February 10:00, not during Tết.
    ctx, people = officers_at(vn(2026, 2, 12, 10, 0), TimeLimit(3))
    dossier = services.submit_dossier(ctx, "sla_demo", AGENCY, {})
    with ctx.db.read() as s:
        due = s.get(Dossier, dossier.id).due_at
    assert due == vn(2026, 2, 24, 10, 0)
    assert "sla_apology" not in move_to(ctx, vn(2026, 2, 20, 16, 0))  # last day of Tết
    assert "sla_apology" not in move_to(ctx, vn(2026, 2, 23, 9, 59))
    assert "sla_apology" in move_to(ctx, vn(2026, 2, 23, 10, 0))
    kinds = [a.kind for a in sla_services.list_escalations(ctx, people["supervisor"])]
    assert "apology" in kinds
    assert "sla_late" in move_to(ctx, vn(2026, 2, 24, 10, 0))


def test_swapping_a_day_in_the_table_moves_deadlines(officers_at):
    ctx, people = officers_at(vn(2026, 3, 5, 14, 0))
    sla_services.add_override(ctx, date(2026, 3, 6), "off", "nghỉ bù", people["supervisor"])
    services.submit_dossier(ctx, "sla_demo", AGENCY, {})
    task = services.list_tasks(ctx, people["appraiser"])[0]
    assert task.due_at == vn(2026, 3, 10, 14, 0)  # Friday no longer counts
    assert [o.day for o in sla_services.list_overrides(ctx, 2026)] == [date(2026, 3, 6)]
    with pytest.raises(PermissionDenied):
        sla_services.add_override(ctx, date(2026, 3, 9), "off", "", people["appraiser"])


def test_the_boundary_timer_escalates_to_the_supervisor_in_process(officers_at):
    ctx, people = officers_at(vn(2026, 3, 2, 8, 0), boundary="P2D")
    dossier = services.submit_dossier(ctx, "sla_demo", AGENCY, {})
    assert services.list_tasks(ctx, people["supervisor"]) == []
    assert "bpmn" in move_to(ctx, vn(2026, 3, 4, 8, 1))
    [review] = services.list_tasks(ctx, people["supervisor"])
    assert (review.bpmn_id, review.dossier_id) == ("review", dossier.id)
    # the appraisal is still open (non-interrupting) and the BPMN timer row is fired, once
    with ctx.db.read() as s:
        rows = s.execute(
            select(Timer.state, func.count()).where(Timer.kind == "bpmn").group_by(Timer.state)
        ).all()
    assert dict(rows) == {"fired": 1}
    assert services.list_tasks(ctx, people["appraiser"])[0].bpmn_id == "appraise"


def test_ontime_report_and_control_slip(officers_at):
    ctx, people = officers_at(vn(2026, 3, 2, 8, 0), TimeLimit(1))
    early = services.submit_dossier(ctx, "sla_demo", AGENCY, {}, channel="online")
    late = services.submit_dossier(ctx, "sla_demo", AGENCY, {})
    services.submit_dossier(ctx, "sla_demo", AGENCY, {})
    withdrawn = services.submit_dossier(ctx, "sla_demo", AGENCY, {}, channel="post")
    for d in (early, late):
        task = next(t for t in services.list_tasks(ctx, people["appraiser"]) if t.dossier_id == d.id)
        services.complete_task(ctx, task.id, people["appraiser"], {})
    ctx.clock.set(vn(2026, 3, 4, 9, 0))  # the approval of `late` is a day late
    with ctx.db.transaction() as s:
        s.get(Dossier, early.id).finished_at = vn(2026, 3, 2, 16, 0)  # due 3 March 08:00 -> early
        s.get(Dossier, early.id).status = 9
        s.get(Dossier, late.id).finished_at = vn(2026, 3, 4, 9, 0)  # late
        s.get(Dossier, late.id).status = 9
        s.get(Dossier, withdrawn.id).status = 7
        s.get(Dossier, withdrawn.id).finished_at = vn(2026, 3, 2, 9, 0)
    [row] = sla_services.ontime_report(ctx, date(2026, 3, 1), date(2026, 3, 31))
    assert (row.received_total, row.received_online, row.received_counter, row.received_post) == (4, 1, 2, 1)
    assert (row.completed_total, row.completed_early, row.completed_on_time, row.completed_late) == (
        2,
        1,
        0,
        1,
    )
    assert (row.in_progress_total, row.in_progress_within, row.in_progress_past_due) == (1, 0, 1)
    assert row.returned_or_withdrawn == 1
    assert row.on_time_share == 0.5
    # April: the open one is carried over
    [april] = sla_services.ontime_report(ctx, date(2026, 4, 1), date(2026, 4, 30))
    assert (april.received_total, april.carried_over, april.in_progress_past_due) == (0, 1, 1)
    csv_text = sla_services.report_csv([row])
    assert csv_text.splitlines()[0].startswith("Thủ tục,Cơ quan,Tiếp nhận mới")
    assert csv_text.splitlines()[2].startswith("sla_demo,000.10.01.H26,4,1,2,1,0,2,1,0,1,1,0,1,1,50.0")
    slip = sla_services.control_slip(ctx, late.id)
    assert [(s.bpmn_id, s.result) for s in slip] == [("appraise", "early"), ("approve", "past_due")]
    assert slip[1].result_vi == "Quá hạn"


def test_timers_follow_the_due_date_when_it_moves(officers_at):
    ctx, people = officers_at(vn(2026, 3, 2, 8, 0), TimeLimit(3))
    dossier = services.submit_dossier(ctx, "sla_demo", AGENCY, {})
    with ctx.db.transaction() as s:  # e.g. a supplement restarted the clock
        row = s.get(Dossier, dossier.id)
        row.due_at = row.due_at + timedelta(days=7)
        sla_services.sync_timers(ctx, s, row)
    with ctx.db.read() as s:
        apology = s.scalar(select(Timer).where(Timer.dossier_id == dossier.id, Timer.kind == "sla_apology"))
        assert apology.due_at == vn(2026, 3, 11, 8, 0)  # due Thu 12 March 08:00
        assert s.scalar(select(func.count()).select_from(SlaAlert)) == 0


def test_the_sweep_claims_each_dossier_once_and_loses_nothing_when_enqueueing_fails(officers_at):
    ctx, people = officers_at(vn(2026, 3, 2, 8, 0), TimeLimit(10))
    first = services.submit_dossier(ctx, "sla_demo", AGENCY, {})
    second = services.submit_dossier(ctx, "sla_demo", AGENCY, {})
    ctx.clock.set(vn(2026, 3, 4, 16, 0))  # reminder and overdue of both appraisals are due

    def redis_down(claims):
        raise ConnectionError("Redis is down")

    with pytest.raises(ConnectionError):
        sla_services.claim_due_timers(ctx, redis_down)
    with ctx.db.read() as s:
        assert s.scalar(select(func.max(Timer.attempts))) == 0  # rolled back: nothing claimed
    seen: list[tuple[int, datetime]] = []
    claimed: set[int] = set()

    def queue(claims):
        seen.extend(claims)
        fresh = [d not in claimed for d, _ in claims]
        claimed.update(d for d, _ in claims)
        return fresh

    assert sla_services.claim_due_timers(ctx, queue, batch=1) == 2  # batches of one row: 4 rows walked
    assert sorted({d for d, _ in seen}) == [first.id, second.id]
    assert sla_services.claim_due_timers(ctx, queue) == 0  # already queued: not again
    assert sorted(fire_all(ctx)) == ["sla_overdue", "sla_overdue", "sla_reminder", "sla_reminder"]
    assert sla_services.claim_due_timers(ctx, queue) == 0  # nothing due any more


def test_without_redis_the_embedded_sweeper_fires_in_process(officers_at):
    from workers.timers import start_embedded_sweeper

    ctx, people = officers_at(vn(2026, 3, 2, 8, 0), boundary="P1D")
    services.submit_dossier(ctx, "sla_demo", AGENCY, {})
    ctx.clock.set(vn(2026, 3, 3, 8, 1))
    sweeper = start_embedded_sweeper(ctx, interval=0.1)
    try:
        deadline = datetime.now().timestamp() + 20
        while not services.list_tasks(ctx, people["supervisor"]) and datetime.now().timestamp() < deadline:
            sweeper.stopped.wait(0.1)
        assert [t.bpmn_id for t in services.list_tasks(ctx, people["supervisor"])] == ["review"]
    finally:
        sweeper.stop()
        sweeper.join(5)


def test_the_public_on_time_page_and_csv(officers_at):
    from webui import create_app

    ctx, people = officers_at(vn(2026, 3, 2, 8, 0), TimeLimit(1))
    done = services.submit_dossier(ctx, "sla_demo", AGENCY, {}, channel="online")
    services.submit_dossier(ctx, "sla_demo", AGENCY, {})
    with ctx.db.transaction() as s:
        s.get(Dossier, done.id).finished_at = vn(2026, 3, 3, 9, 0)  # due 3 March 08:00: on time
        s.get(Dossier, done.id).status = 9
    client = create_app(ctx).test_client()
    page = client.get("/sla/ontime?from=2026-03-01&to=2026-03-31")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Tình hình giải quyết hồ sơ" in html and "50.0%" not in html and "100.0%" in html
    csv_response = client.get("/sla/ontime.csv?from=2026-03-01&to=2026-03-31&agency=" + AGENCY)
    assert csv_response.headers["Content-Type"].startswith("text/csv")
    lines = csv_response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[2].startswith("sla_demo,000.10.01.H26,2,1,1,0,0,1,0,1,0,1,")
    assert client.get("/sla/ontime?from=yesterday").status_code == 400


def test_a_batch_fires_its_dossiers_together_and_a_broken_one_holds_back_no_other(officers_at):
    ctx, people = officers_at(vn(2026, 3, 2, 8, 0), boundary="P2D")
    first, broken, third = (services.submit_dossier(ctx, "sla_demo", AGENCY, {}) for _ in range(3))
    with ctx.db.transaction() as s:  # as if another process had saved a state no one can read
        good_state = s.get(WorkflowState, broken.id).state
        s.execute(
            update(WorkflowState)
            .where(WorkflowState.dossier_id == broken.id)
            .values(state="{not a workflow", version=WorkflowState.version + 1)
        )
    ctx.clock.set(vn(2026, 3, 4, 8, 1))  # the three boundary timers are due

    with pytest.raises(Exception):  # noqa: B017, PT011 - whatever the reader raises, it is reported
        sla_services.fire_due_timers(ctx, [first.id, broken.id, third.id])

    reviews = sorted(t.dossier_id for t in services.list_tasks(ctx, people["supervisor"]))
    assert reviews == [first.id, third.id]
    assert bpmn_timer_states(ctx) == {first.id: "fired", broken.id: "pending", third.id: "fired"}
    # once the state is readable again, the next job fires it, and the others are not fired twice
    with ctx.db.transaction() as s:
        s.execute(update(WorkflowState).where(WorkflowState.dossier_id == broken.id).values(state=good_state))
    results = sla_services.fire_due_timers(ctx, [first.id, broken.id, third.id])
    fired = {r.dossier_id: r.kinds for r in results}
    assert fired[first.id] == fired[third.id] == ()
    assert "bpmn" in fired[broken.id]  # with its step's SLA timers, held back with it
    assert len(services.list_tasks(ctx, people["supervisor"])) == 3


def bpmn_timer_states(ctx) -> dict[int, str]:
    with ctx.db.read() as s:
        return dict(s.execute(select(Timer.dossier_id, Timer.state).where(Timer.kind == "bpmn")).all())


def test_a_centre_with_its_own_working_hours_counts_its_steps_and_reminders_on_them(
    make_context, database_url
):
    # The centre AGENCY works 08:00-12:00 and 13:30-17:30; another centre keeps the default
    # 07:30-11:30, 13:00-17:00. A 16-hour appraisal opened Thursday 5 March 2026 at 17:10 is due
    # at the centre on Monday 9 March at 17:10 (20 min, Friday's 8 h, 7 h 40 min on Monday), with
    # the reminder at 12 h, Monday 11:40; at the other centre (closed at 17:10) it is due Monday
    # 17:00, reminded at 11:30.
    ctx = make_context(database_url, extra={"MOTCUA_CENTRE_HOURS": f"{AGENCY}=08:00-12:00,13:30-17:30"})
    use_clock(ctx, ManualClock(vn(2026, 3, 5, 17, 10)))
    ctx.listeners.insert(0, AcceptOnSubmit(TimeLimit(10)))
    services.create_agency(ctx, AGENCY, "Trung tâm Phục vụ hành chính công phường Ba Đình")
    services.create_agency(ctx, "000.00.99.H26", "Trung tâm Phục vụ hành chính công phường khác")
    deploy_demo(ctx, "P30D")
    own_hours = services.submit_dossier(ctx, "sla_demo", AGENCY, {})
    default_hours = services.submit_dossier(ctx, "sla_demo", "000.00.99.H26", {})

    def appraisal(dossier):
        [task] = [t for t in services.get_dossier(ctx, dossier.id).tasks if t.bpmn_id == "appraise"]
        with ctx.db.read() as s:
            reminder = s.scalar(
                select(Timer.due_at).where(Timer.task_id == task.id, Timer.kind == "sla_reminder")
            )
        return task.due_at, reminder

    assert appraisal(own_hours) == (vn(2026, 3, 9, 17, 10), vn(2026, 3, 9, 11, 40))
    assert appraisal(default_hours) == (vn(2026, 3, 9, 17, 0), vn(2026, 3, 9, 11, 30))


def test_an_officer_acting_while_a_batch_fires_waits_for_it_and_then_gets_a_clear_answer(officers_at):
    import threading

    from engine.errors import Conflict

    ctx, people = officers_at(vn(2026, 3, 2, 8, 0), boundary="P2D")
    first, second = (services.submit_dossier(ctx, "sla_demo", AGENCY, {}) for _ in range(2))
    appraisal = next(t for t in services.list_tasks(ctx, people["appraiser"]) if t.dossier_id == second.id)
    services.claim_task(ctx, appraisal.id, people["appraiser"])
    ctx.clock.set(vn(2026, 3, 4, 8, 1))  # both boundary timers are due
    officer: dict[str, object] = {}

    def complete_second() -> None:
        try:
            officer["result"] = services.complete_task(ctx, appraisal.id, people["appraiser"], {})
        except Exception as exc:  # noqa: BLE001 - the test looks at what it was
            officer["result"] = exc

    # While the batch fires the first dossier, the officer completes the appraisal of the second.
    fire = ctx.runtime.fire_timers
    thread = threading.Thread(target=complete_second)

    def fire_and_let_the_officer_in(workflow, model, run_context):
        if not thread.is_alive() and "result" not in officer:
            thread.start()
            thread.join(0.5)
        return fire(workflow, model, run_context)

    ctx.runtime.fire_timers = fire_and_let_the_officer_in
    results = sla_services.fire_due_timers(ctx, [first.id, second.id])
    thread.join(30)
    ctx.runtime.fire_timers = fire

    assert [r.kinds.count("bpmn") for r in results] == [1, 1]  # the batch fired both, once
    reviews = sorted(t.dossier_id for t in services.list_tasks(ctx, people["supervisor"]))
    assert reviews == [first.id, second.id]
    outcome = officer["result"]
    if ctx.db.dialect == "postgresql":  # it read the state before the batch saved its own
        assert isinstance(outcome, Conflict), outcome
        assert "nothing of yours was saved" in outcome.message
        outcome = services.complete_task(ctx, appraisal.id, people["appraiser"], {})
    assert not isinstance(outcome, Exception), outcome  # SQLite: it waited and worked on the new state
    assert outcome.task.state == "completed"
    assert bpmn_timer_states(ctx) == {first.id: "fired", second.id: "fired"}
