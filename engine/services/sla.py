"""Use cases of the SLA feature: the yearly calendar table, SLA timers (kept in step by a run
listener, fired by the sweep), supervisors' escalations and the on-time report.

Firing is idempotent: a timer is fired only while it is still ``pending``, in the same transaction as
its effect, with its row locked (PostgreSQL) or under the write lock (SQLite); an alert row per timer
has a unique ``timer_id`` besides. So each timer fires exactly once, whoever runs the job and however
often it is enqueued.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, bindparam, func, insert, or_, select, tuple_, update
from sqlalchemy.orm import Session

from .. import sla
from ..calendar import DayOverride, VietnameseCalendar, parse_centre_hours, parse_working_hours
from ..clock import VIETNAM
from ..context import AllottedHoursPolicy, Context
from ..errors import InvalidInput, NotFound, PermissionDenied
from ..roles import Role
from ..store.models import (
    Agency,
    Dossier,
    HumanTask,
    ProcessDefinition,
    ProcessVersion,
    Timer,
    User,
    WorkflowState,
)
from ..store.sla_tables import CalendarOverride, SlaAlert
from ..views import UserView, View
from . import SYSTEM_ACTOR, _advance, _append_event, _dossier, unit_of_work

if TYPE_CHECKING:
    from ..bpmn.runtime import RunOutcome

MAX_FIRE_ATTEMPTS = 20  # a BPMN timer that would not fire after this many jobs is left for an operator


# =========================================================================== wiring


def install_sla(ctx: Context) -> None:
    """Make the Vietnamese calendar the context's calendar and keep SLA timers in step with runs."""
    hours_text = ctx.settings.extra.get("MOTCUA_WORKING_HOURS")
    centres_text = ctx.settings.extra.get("MOTCUA_CENTRE_HOURS")
    calendar = VietnameseCalendar(
        hours=parse_working_hours(hours_text) if hours_text else None,
        overrides=lambda year: load_overrides(ctx, year),
        centre_hours=parse_centre_hours(centres_text) if centres_text else None,
    )
    default_policy = (
        isinstance(ctx.due_policy, AllottedHoursPolicy) and ctx.due_policy.calendar is ctx.calendar
    )
    ctx.calendar = calendar
    if default_policy:
        ctx.due_policy = AllottedHoursPolicy(calendar)
    ctx.listeners.append(SlaTimerListener())


def load_overrides(ctx: Context, year: int) -> list[DayOverride]:
    with ctx.db.read() as s:
        rows = s.scalars(
            select(CalendarOverride).where(
                CalendarOverride.day >= date(year, 1, 1), CalendarOverride.day <= date(year, 12, 31)
            )
        )
        return [DayOverride(r.day, r.kind, r.note) for r in rows]  # type: ignore[arg-type]


# =========================================================================== views


@dataclass(frozen=True)
class OverrideView(View):
    day: date
    kind: str
    note: str


@dataclass(frozen=True)
class CalendarDayView(View):
    day: date
    working: bool
    note: str


@dataclass(frozen=True)
class AlertView(View):
    id: int
    kind: str
    dossier_id: int
    dossier_code: str | None
    task_id: uuid.UUID | None
    bpmn_id: str | None
    label: str | None
    message: str
    recipient: str | None
    recipient_role: str | None
    due_at: datetime | None
    created_at: datetime
    acknowledged_at: datetime | None


@dataclass(frozen=True)
class FireResult(View):
    dossier_id: int
    fired: int
    cancelled: int
    kinds: tuple[str, ...] = ()


@dataclass(frozen=True)
class OntimeRow(View):
    """One line of the national on-time report (Circular 01/2018/TT-VPCP layout)."""

    procedure_code: str
    agency_code: str
    received_total: int
    received_online: int
    received_counter: int
    received_post: int
    carried_over: int
    completed_total: int
    completed_early: int
    completed_on_time: int
    completed_late: int
    in_progress_total: int
    in_progress_within: int
    in_progress_past_due: int
    returned_or_withdrawn: int

    @property
    def on_time_share(self) -> float | None:
        """Share completed before or on the due date: the headline figure."""
        if not self.completed_total:
            return None
        return (self.completed_early + self.completed_on_time) / self.completed_total


@dataclass(frozen=True)
class StepRow(View):
    """One hand-over on the processing control slip (phiếu kiểm soát quá trình)."""

    bpmn_id: str
    label: str
    role: str | None
    stage: str | None
    assignee: str | None
    opened_at: datetime
    due_at: datetime | None
    finished_at: datetime | None
    result: str | None
    result_vi: str


# =========================================================================== calendar table


def add_override(
    ctx: Context, day: date, kind: str, note: str = "", actor: UserView | None = None
) -> OverrideView:
    """Make ``day`` a day off (``off``) or a working day (``working``); replaces an earlier entry."""
    _require_admin(actor)
    if kind not in ("off", "working"):
        raise InvalidInput(
            "Loại ngày phải là 'off' (nghỉ) hoặc 'working' (làm việc). / Kind must be off or working.",
            fields={"kind": "off | working"},
        )
    with unit_of_work(ctx) as s:
        row = s.get(CalendarOverride, day)
        if row is None:
            row = CalendarOverride(day=day, created_at=ctx.now())
            s.add(row)
        row.kind, row.note = kind, note or ""
        row.created_by = actor.username if actor else None
        view = OverrideView(day, kind, row.note)
    _invalidate(ctx, day.year)
    return view


def remove_override(ctx: Context, day: date, actor: UserView | None = None) -> None:
    _require_admin(actor)
    with unit_of_work(ctx) as s:
        row = s.get(CalendarOverride, day)
        if row is None:
            raise NotFound(f"Không có ngày hoán đổi {day.isoformat()}. / There is no entry for {day}.")
        s.delete(row)
    _invalidate(ctx, day.year)


def list_overrides(ctx: Context, year: int | None = None) -> list[OverrideView]:
    with ctx.db.read() as s:
        query = select(CalendarOverride).order_by(CalendarOverride.day)
        if year:
            query = query.where(
                CalendarOverride.day >= date(year, 1, 1), CalendarOverride.day <= date(year, 12, 31)
            )
        return [OverrideView(r.day, r.kind, r.note) for r in s.scalars(query)]


def calendar_year(ctx: Context, year: int) -> list[CalendarDayView]:
    """The exceptions of ``year``: weekdays off (holidays, swaps) and weekend days worked."""
    _invalidate(ctx, year)
    calendar = ctx.calendar
    if isinstance(calendar, VietnameseCalendar):
        return [CalendarDayView(d, calendar.is_working_day(d), note) for d, note in calendar.days_off(year)]
    rows, day = [], date(year, 1, 1)
    while day.year == year:
        if calendar.is_working_day(day) == (day.weekday() >= 5):
            rows.append(CalendarDayView(day, calendar.is_working_day(day), ""))
        day += timedelta(days=1)
    return rows


def _invalidate(ctx: Context, year: int) -> None:
    invalidate = getattr(ctx.calendar, "invalidate", None)
    if invalidate is not None:
        invalidate(year)


def _require_admin(actor: UserView | None) -> None:
    if actor is not None and Role.ADMIN not in actor.roles and Role.SUPERVISOR not in actor.roles:
        raise PermissionDenied(
            "Chỉ quản trị viên hoặc lãnh đạo được sửa lịch làm việc. / "
            "Only admins or supervisors may edit the calendar."
        )


# =========================================================================== keeping timers in step


class SlaTimerListener:
    """After every run: SLA timers for the steps that opened, none for steps that closed, and the
    dossier's apology and overdue timers following its due date (set by the lifecycle at acceptance)."""

    def after_run(
        self, ctx: Context, session: Session, dossier: Dossier, outcome: RunOutcome, actor: str
    ) -> None:
        sync_timers(ctx, session, dossier, opened=outcome.opened, closed=outcome.closed.keys())


#: The step timers of closed tasks, cancelled in one statement (no ORM bookkeeping: no step timer is
#: loaded into the session during a run).
_CANCEL_STEP_TIMERS = (
    update(Timer.__table__)
    .where(
        Timer.__table__.c.dossier_id == bindparam("of_dossier"),
        Timer.__table__.c.task_id.in_(bindparam("closed", expanding=True)),
        Timer.__table__.c.kind.in_(sla.STEP_KINDS),
        Timer.__table__.c.state == "pending",
    )
    .values(state="cancelled", fired_at=bindparam("cancelled_at"))
)


def sync_timers(
    ctx: Context,
    s: Session,
    dossier: Dossier,
    opened: Iterable[uuid.UUID] = (),
    closed: Iterable[uuid.UUID] = (),
) -> None:
    now = ctx.now()
    opened, closed = list(opened), list(closed)
    if closed:
        s.connection().execute(
            _CANCEL_STEP_TIMERS, {"of_dossier": dossier.id, "closed": closed, "cancelled_at": now}
        )
    new_timers = []
    for task_id in opened:
        task = s.get(HumanTask, task_id)  # just added by the core: from the session, no query
        if task is None or task.state != "open" or task.due_at is None:
            continue
        step = dict(dossier_id=dossier.id, task_id=task.id, bpmn_id=task.bpmn_id, label=task.label)
        new_timers.append(
            dict(
                step,
                kind=sla.SLA_REMINDER,
                due_at=sla.reminder_at(ctx.calendar_of(dossier.agency.code), task.created_at, task.due_at),
            )
        )
        new_timers.append(dict(step, kind=sla.SLA_OVERDUE, due_at=task.due_at))
    if new_timers:
        s.flush()  # the human tasks the timers point at
        s.connection().execute(
            insert(Timer.__table__),
            [dict(t, state="pending", created_at=now, attempts=0) for t in new_timers],
        )
    _sync_dossier_timers(ctx, s, dossier, now)
    s.flush()


def _finished(dossier: Dossier) -> bool:
    return (
        dossier.finished_at is not None
        or (dossier.status or 0) in sla.FINISHED_STATUSES
        or dossier.run_state in ("completed", "cancelled")
    )


def _paused(dossier: Dossier) -> bool:
    """Waiting for the applicant (supplement or fee): the clock is paused; when it restarts the
    lifecycle moves due_at and the listener sets new timers."""
    return (dossier.status or 0) in sla.PAUSED_STATUSES


def _sync_dossier_timers(ctx: Context, s: Session, dossier: Dossier, now: datetime) -> None:
    if dossier.due_at is None:
        # Not accepted yet (no appointment date): nothing to keep. A timer left from an earlier due
        # date does not fire while there is none (see _fire_sla).
        return
    pending = {
        t.kind: t
        for t in s.scalars(
            select(Timer).where(
                Timer.dossier_id == dossier.id, Timer.kind.in_(sla.DOSSIER_KINDS), Timer.state == "pending"
            )
        )
    }
    if _finished(dossier):
        for row in pending.values():
            row.state, row.fired_at = "cancelled", now
        return
    wanted = {
        sla.SLA_APOLOGY: sla.apology_at(ctx.calendar_of(dossier.agency.code), dossier.due_at),
        sla.SLA_DOSSIER_OVERDUE: dossier.due_at,
    }
    for kind, due in wanted.items():
        row = pending.get(kind)
        if row is None:
            already = s.scalar(
                select(func.count())
                .select_from(Timer)
                .where(Timer.dossier_id == dossier.id, Timer.kind == kind, Timer.due_at == due)
            )
            if not already:  # a timer already fired for this very due time does not come back
                s.add(
                    Timer(
                        dossier_id=dossier.id,
                        kind=kind,
                        label=dossier.code,
                        due_at=due,
                        state="pending",
                        created_at=now,
                    )
                )
        elif row.due_at != due:
            row.due_at = due


# =========================================================================== firing


def due_dossiers(ctx: Context, limit: int = 1000) -> list[int]:
    """Dossiers with at least one due pending timer, earliest first (the embedded runner's sweep)."""
    now = ctx.now()
    with ctx.db.read() as s:
        rows = s.execute(
            select(Timer.dossier_id, func.min(Timer.due_at))
            .where(Timer.state == "pending", Timer.due_at <= now, Timer.attempts < MAX_FIRE_ATTEMPTS)
            .group_by(Timer.dossier_id)
            .order_by(func.min(Timer.due_at))
            .limit(limit)
        )
        return [dossier_id for dossier_id, _ in rows]


def claim_due_timers(
    ctx: Context, enqueue: Callable[[list[tuple[int, datetime]]], list[bool]], batch: int = 1000
) -> int:
    """The sweep: walk the due pending timers in batches, each batch's rows locked (``FOR UPDATE SKIP
    LOCKED`` on PostgreSQL, so concurrent sweeps split the work; the write lock on SQLite), and hand
    each dossier with its earliest due time to ``enqueue`` (which dedupes and returns, per dossier,
    whether it queued a new job). If ``enqueue`` raises (Redis is down) nothing changes: the next
    sweep tries again. ``attempts`` counts only fire jobs that could not fire a BPMN timer; after
    MAX_FIRE_ATTEMPTS such jobs the timer is left for an operator. Returns the jobs queued."""
    now = ctx.now()
    queued = 0
    after: tuple[datetime, int] | None = None
    postgres = ctx.db.dialect == "postgresql"
    while True:
        with unit_of_work(ctx) as s:
            query = (
                select(Timer.id, Timer.dossier_id, Timer.due_at)
                .where(Timer.state == "pending", Timer.due_at <= now, Timer.attempts < MAX_FIRE_ATTEMPTS)
                .order_by(Timer.due_at, Timer.id)
                .limit(batch)
            )
            if after is not None:
                query = query.where(tuple_(Timer.due_at, Timer.id) > after)
            if postgres:
                query = query.with_for_update(skip_locked=True)
            rows = s.execute(query).all()
            if not rows:
                return queued
            after = (rows[-1].due_at, rows[-1].id)
            earliest: dict[int, datetime] = {}
            for _timer_id, dossier_id, due_at in rows:
                earliest.setdefault(dossier_id, due_at)
            claims = list(earliest.items())
            results = enqueue(claims)
            queued += sum(1 for new in results if new)
        if len(rows) < batch:
            return queued


def fire_dossier_timers(
    ctx: Context, dossier_id: int, before_commit: Callable[[], None] | None = None
) -> FireResult:
    """Fire every due pending timer of one dossier, in one transaction.

    BPMN timers step the workflow (load, fire, save, via the core); SLA timers raise their alert and
    event. A timer that is no longer pending (fired by someone else, or cancelled) is left alone."""
    with unit_of_work(ctx) as s:
        results = _fire_in(ctx, s, [dossier_id])
        if before_commit is not None:
            before_commit()
    return results[0]


def fire_due_timers(
    ctx: Context, dossier_ids: list[int], before_commit: Callable[[], None] | None = None
) -> list[FireResult]:
    """Fire the due timers of several dossiers in one transaction (the job the sweep queues).

    Loading the dossiers together and committing once makes each fire cheaper than a transaction of
    its own. If anything fails (an officer changed one of the dossiers at that moment, say), nothing
    of the batch is kept and each dossier is fired on its own instead, so one dossier's trouble
    neither blocks nor undoes the others; that dossier's error is raised after the rest have fired."""
    try:
        with unit_of_work(ctx) as s:
            results = _fire_in(ctx, s, dossier_ids)
            if before_commit is not None:
                before_commit()
        return results
    except Exception:  # noqa: BLE001 - retried one by one below, where the error is raised
        if len(dossier_ids) == 1:
            raise
    results, failure = [], None
    for dossier_id in dossier_ids:
        try:
            results.append(fire_dossier_timers(ctx, dossier_id, before_commit))
        except Exception as exc:  # noqa: BLE001 - the others still fire
            failure = failure or exc
    if failure is not None:
        raise failure
    return results


def _fire_in(ctx: Context, s: Session, dossier_ids: list[int]) -> list[FireResult]:
    """Fire the due timers of ``dossier_ids`` inside the session's transaction.

    The workflow states, then every pending timer of those dossiers, are read and locked up front (row
    locks on PostgreSQL, the write lock on SQLite), then the dossiers: three statements for the batch.
    States first, in dossier order, so that no step on one of these dossiers can hold a state the batch
    still needs: an officer's step taken meanwhile waits for the batch and ends in a clear conflict."""
    now = ctx.now()
    postgres = ctx.db.dialect == "postgresql"
    states_query = (
        select(WorkflowState)
        .where(WorkflowState.dossier_id.in_(dossier_ids))
        .order_by(WorkflowState.dossier_id)
    )
    timers_query = (
        select(Timer)
        .where(Timer.dossier_id.in_(dossier_ids), Timer.state == "pending")
        .order_by(Timer.dossier_id, Timer.due_at, Timer.id)
    )
    if postgres:
        states_query, timers_query = states_query.with_for_update(), timers_query.with_for_update()
    states = {w.dossier_id: w for w in s.scalars(states_query)}
    pending: dict[int, list[Timer]] = defaultdict(list)
    for timer in s.scalars(timers_query):
        pending[timer.dossier_id].append(timer)
    due = {d: ready for d, timers in pending.items() if (ready := [t for t in timers if t.due_at <= now])}
    dossiers = {d.id: d for d in s.scalars(select(Dossier).where(Dossier.id.in_(list(due))))} if due else {}
    return [
        _fire_loaded(ctx, s, dossiers[d], states.get(d), due[d], pending[d], now)
        if d in dossiers
        else FireResult(d, 0, 0)
        for d in dossier_ids
    ]


def _fire_loaded(
    ctx: Context,
    s: Session,
    dossier: Dossier,
    state: WorkflowState | None,
    timers: list[Timer],
    pending: list[Timer],
    now: datetime,
) -> FireResult:
    fired: list[str] = []
    cancelled = 0
    bpmn = [t for t in timers if t.kind == "bpmn"]
    if bpmn:
        if dossier.run_state == "running" and state is not None:
            _advance(
                ctx,
                s,
                dossier,
                state,
                SYSTEM_ACTOR,
                None,
                lambda wf, model, rc: ctx.runtime.fire_timers(wf, model, rc),
                pending_timers=[t for t in pending if t.kind == "bpmn"],
            )
        for t in bpmn:
            if t.state == "fired":
                fired.append(t.kind)
            elif t.state == "pending":
                t.attempts += 1
                t.last_error = f"not fired (dossier {dossier.run_state})"
    for t in timers:
        if t.kind == "bpmn":
            continue
        if bpmn:
            s.refresh(t)  # the run above may have cancelled it
        if t.state != "pending":
            continue
        if _fire_sla(ctx, s, dossier, t, now):
            fired.append(t.kind)
        else:
            cancelled += 1
    s.flush()
    return FireResult(dossier.id, len(fired), cancelled, tuple(fired))


def _fire_sla(ctx: Context, s: Session, dossier: Dossier, timer: Timer, now: datetime) -> bool:
    """Raise the alert of one SLA timer; False (and the timer cancelled) when it no longer applies."""
    task = s.get(HumanTask, timer.task_id) if timer.task_id else None
    if timer.kind in sla.STEP_KINDS:
        applies = task is not None and task.state == "open"
    else:
        applies = dossier.due_at is not None and not _finished(dossier) and not _paused(dossier)
    if not applies:
        timer.state, timer.fired_at = "cancelled", now
        return False
    timer.state, timer.fired_at = "fired", now
    code = dossier.code or f"#{dossier.id}"
    if timer.kind == sla.SLA_REMINDER:
        recipient, role = task.assignee_id, None if task.assignee_id else task.role
        message = (
            f"Bước '{task.label}' của hồ sơ {code} đã dùng 75% thời gian, hạn {_vn(task.due_at)}. / "
            f"Step '{task.label}' of dossier {code} has used 75% of its time; due {_vn(task.due_at)}."
        )
        due = task.due_at
    elif timer.kind == sla.SLA_OVERDUE:
        recipient, role = None, Role.SUPERVISOR.value
        message = (
            f"Bước '{task.label}' của hồ sơ {code} đã quá hạn ({_vn(task.due_at)}). / "
            f"Step '{task.label}' of dossier {code} is overdue (due {_vn(task.due_at)})."
        )
        due = task.due_at
    elif timer.kind == sla.SLA_APOLOGY:
        recipient, role = None, Role.SUPERVISOR.value
        message = (
            f"Hồ sơ {code} sẽ đến hạn trả {_vn(dossier.due_at)}: chuẩn bị văn bản xin lỗi và hẹn lại nếu "
            f"không kịp. / Dossier {code} is due {_vn(dossier.due_at)}: prepare an apology if late."
        )
        due = dossier.due_at
    else:
        recipient, role = None, Role.SUPERVISOR.value
        message = (
            f"Hồ sơ {code} đã quá hạn trả ({_vn(dossier.due_at)}). / Dossier {code} is past its due date."
        )
        due = dossier.due_at
    kind = timer.kind.removeprefix("sla_")
    s.add(
        SlaAlert(
            timer_id=timer.id,
            dossier_id=dossier.id,
            agency_id=dossier.agency_id,
            task_id=task.id if task else None,
            kind=kind,
            recipient_id=recipient,
            recipient_role=role,
            bpmn_id=task.bpmn_id if task else None,
            label=task.label if task else None,
            message=message,
            due_at=due,
            created_at=now,
        )
    )
    _append_event(
        s,
        dossier.id,
        now,
        activity=task.bpmn_id if task else "dossier",
        activity_name=task.label if task else None,
        lifecycle=timer.kind,
        actor=SYSTEM_ACTOR,
        element_type="UserTask" if task else "Process",
        task_id=task.id if task else None,
        role=task.role if task else None,
        stage=task.stage if task else None,
        data={"due_at": due.isoformat() if due else None, "timer_id": timer.id, "escalated_to": role},
    )
    s.flush()
    return True


def _vn(moment: datetime | None) -> str:
    return moment.astimezone(VIETNAM).strftime("%H:%M %d/%m/%Y") if moment else "-"


# =========================================================================== inboxes


def list_escalations(ctx: Context, user: UserView, include_acknowledged: bool = False) -> list[AlertView]:
    """A supervisor's inbox of escalations: overdue steps and dossiers and apology alerts of their
    agency, newest first."""
    if Role.SUPERVISOR not in user.roles and Role.ADMIN not in user.roles:
        raise PermissionDenied("Chỉ lãnh đạo (supervisor) xem được danh sách quá hạn. / Supervisors only.")
    return _alerts(ctx, user, SlaAlert.recipient_role == Role.SUPERVISOR.value, include_acknowledged)


def list_alerts(ctx: Context, user: UserView, include_acknowledged: bool = False) -> list[AlertView]:
    """An officer's SLA alerts: reminders addressed to them, or to a role they hold when unassigned."""
    return _alerts(
        ctx,
        user,
        or_(
            SlaAlert.recipient_id == user.id,
            and_(SlaAlert.recipient_id.is_(None), SlaAlert.recipient_role.in_(user.roles)),
        ),
        include_acknowledged,
    )


def acknowledge_alert(ctx: Context, alert_id: int, user: UserView) -> AlertView:
    with unit_of_work(ctx) as s:
        alert = s.get(SlaAlert, alert_id)
        if alert is None or alert.agency_id != user.agency_id:
            raise NotFound(f"Không có cảnh báo {alert_id}. / There is no alert {alert_id}.")
        if alert.recipient_id not in (None, user.id) or (
            alert.recipient_id is None and alert.recipient_role not in user.roles
        ):
            raise PermissionDenied("Cảnh báo này không gửi cho bạn. / This alert is not addressed to you.")
        if alert.acknowledged_at is None:
            alert.acknowledged_at, alert.acknowledged_by_id = ctx.now(), user.id
        s.flush()
        dossier = s.get(Dossier, alert.dossier_id)
        return _alert_view(alert, dossier.code, None)


def _alerts(ctx: Context, user: UserView, who, include_acknowledged: bool) -> list[AlertView]:
    with ctx.db.read() as s:
        query = (
            select(SlaAlert, Dossier.code, User.username)
            .join(Dossier, Dossier.id == SlaAlert.dossier_id)
            .outerjoin(User, User.id == SlaAlert.recipient_id)
            .where(SlaAlert.agency_id == user.agency_id, who)
            .order_by(SlaAlert.created_at.desc(), SlaAlert.id.desc())
            .limit(500)
        )
        if not include_acknowledged:
            query = query.where(SlaAlert.acknowledged_at.is_(None))
        return [_alert_view(a, code, name) for a, code, name in s.execute(query)]


def _alert_view(a: SlaAlert, code: str | None, recipient: str | None) -> AlertView:
    return AlertView(
        a.id, a.kind, a.dossier_id, code, a.task_id, a.bpmn_id, a.label, a.message, recipient,
        a.recipient_role, a.due_at, a.created_at, a.acknowledged_at,
    )  # fmt: skip


# =========================================================================== reports


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    if end < start:
        raise InvalidInput(
            "Ngày kết thúc trước ngày bắt đầu. / The period ends before it starts.",
            fields={"to": "before from"},
        )
    return (
        datetime.combine(start, time.min, VIETNAM),
        datetime.combine(end + timedelta(days=1), time.min, VIETNAM),
    )


def ontime_report(
    ctx: Context,
    start: date,
    end: date,
    agency_code: str | None = None,
    procedure_code: str | None = None,
) -> list[OntimeRow]:
    """On-time statistics per procedure and agency for the period ``start``..``end`` (inclusive, in
    Vietnam time), read from the dossiers' lifecycle columns:

    - received: new in the period (received_at within it) by channel, plus carried over (received
      before, not finished by the start);
    - completed in the period (finished_at within it, result ready or rejected after appraisal):
      early / on time / late against due_at by calendar date;
    - in progress at the end of the period: within or past the due date;
    - returned or withdrawn in the period (status 3, 7 or 8), counted apart.
    """
    lo, hi = _bounds(start, end)
    cutoff = hi - timedelta(microseconds=1)
    procedure = func.coalesce(Dossier.procedure_code, ProcessDefinition.key)
    with ctx.db.read() as s:
        query = (
            select(Dossier, procedure, Agency.code)
            .join(Agency, Agency.id == Dossier.agency_id)
            .join(ProcessVersion, ProcessVersion.id == Dossier.process_version_id)
            .join(ProcessDefinition, ProcessDefinition.id == ProcessVersion.definition_id)
            .where(Dossier.received_at.is_not(None), Dossier.received_at < hi)
            .where(or_(Dossier.finished_at.is_(None), Dossier.finished_at >= lo))
        )
        if agency_code:
            query = query.where(Agency.code == agency_code)
        if procedure_code:
            query = query.where(procedure == procedure_code)
        counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for d, proc, agency in s.execute(query):
            c = counts[(proc, agency)]
            status = d.status or 0
            if status in sla.WITHDRAWN_STATUSES:
                when = d.finished_at or d.updated_at
                if when is not None and lo <= when < hi:
                    c["returned_or_withdrawn"] += 1
                if d.received_at >= lo:
                    c["received_total"] += 1
                    c[f"received_{_channel(d.channel)}"] += 1
                elif when is None or when >= lo:
                    c["carried_over"] += 1
                continue
            if d.received_at >= lo:
                c["received_total"] += 1
                c[f"received_{_channel(d.channel)}"] += 1
            else:
                c["carried_over"] += 1
            if d.finished_at is not None and d.finished_at < hi:
                c["completed_total"] += 1
                result = sla.classify(d.finished_at, d.due_at) if d.due_at else "on_time"
                c[f"completed_{result}"] += 1
            else:
                c["in_progress_total"] += 1
                c[f"in_progress_{sla.progress(d.due_at, cutoff)}"] += 1
    names = [f.name for f in fields(OntimeRow)][2:]
    return [
        OntimeRow(proc, agency, **{n: c.get(n, 0) for n in names})
        for (proc, agency), c in sorted(counts.items())
    ]


def _channel(channel: str | None) -> str:
    return channel if channel in ("online", "counter", "post") else "counter"


def control_slip(ctx: Context, dossier_id: int, viewer: UserView | None = None) -> list[StepRow]:
    """The processing control slip: each hand-over step with its due time and its classification."""
    with ctx.db.read() as s:
        _dossier(s, dossier_id, viewer)
        cutoff = ctx.now()
        rows = s.execute(
            select(HumanTask, User.username)
            .outerjoin(User, User.id == func.coalesce(HumanTask.completed_by_id, HumanTask.assignee_id))
            .where(HumanTask.dossier_id == dossier_id, HumanTask.state != "cancelled")
            .order_by(HumanTask.created_at)
        )
        out = []
        for t, who in rows:
            c = sla.classify_step(t.due_at, t.completed_at if t.state == "completed" else None, cutoff)
            out.append(
                StepRow(
                    t.bpmn_id,
                    t.label,
                    t.role,
                    t.stage,
                    who,
                    t.created_at,
                    t.due_at,
                    c.finished_at,
                    c.result,
                    c.label_vi,
                )
            )
        return out


CSV_HEADERS_VI = {
    "procedure_code": "Thủ tục",
    "agency_code": "Cơ quan",
    "received_total": "Tiếp nhận mới",
    "received_online": "Trực tuyến",
    "received_counter": "Trực tiếp",
    "received_post": "Bưu chính",
    "carried_over": "Kỳ trước chuyển sang",
    "completed_total": "Đã giải quyết",
    "completed_early": "Trước hạn",
    "completed_on_time": "Đúng hạn",
    "completed_late": "Quá hạn",
    "in_progress_total": "Đang giải quyết",
    "in_progress_within": "Trong hạn",
    "in_progress_past_due": "Quá hạn (đang giải quyết)",
    "returned_or_withdrawn": "Trả lại/rút",
    "on_time_share": "Tỷ lệ đúng hạn (%)",
}


def report_csv(rows: list[OntimeRow]) -> str:
    """The report as CSV (UTF-8, Vietnamese headers, English keys in the second header row)."""
    out = io.StringIO()
    writer = csv.writer(out)
    keys = list(CSV_HEADERS_VI)
    writer.writerow([CSV_HEADERS_VI[k] for k in keys])
    writer.writerow(keys)
    for row in [*rows, _total(rows)] if rows else []:
        values: dict[str, Any] = asdict(row)
        share = row.on_time_share
        values["on_time_share"] = "" if share is None else f"{share * 100:.1f}"
        writer.writerow([values[k] for k in keys])
    return out.getvalue()


def _total(rows: list[OntimeRow]) -> OntimeRow:
    names = [f.name for f in fields(OntimeRow)][2:]
    return OntimeRow("TỔNG", "", **{n: sum(getattr(r, n) for r in rows) for n in names})
