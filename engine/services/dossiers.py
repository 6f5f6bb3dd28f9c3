"""Use cases of the dossier lifecycle, and the listener that moves national statuses with the BPMN.

The listener runs inside the transaction of every engine step (submit, complete, timers, retry): when
a flow node carrying a ``dossierEvent`` property completes, it applies that marker.
Withdrawal, stop of processing and the apology are use cases outside the diagram.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .. import dossiers as domain
from ..bpmn.runtime import ActivityEvent, RunOutcome
from ..calendar import TimeLimit
from ..clock import VIETNAM
from ..context import Context
from ..dossiers import Status
from ..errors import Conflict, InvalidInput, MotcuaError, NotFound, PermissionDenied, ProcessError
from ..legal_rules import rule_set_by_code, rule_set_for
from ..roles import Role
from ..store.lifecycle_tables import (
    DossierClockChange,
    DossierLifecycle,
    DossierSequence,
    DossierStatusChange,
    IssuedDocument,
)
from ..store.models import Agency, Dossier, HumanTask, ProcessVersion, Timer, User, WorkflowState
from ..views import DossierView, UserView, View
from . import SYSTEM_ACTOR, _append_event, _dossier, _model, submit_dossier, unit_of_work

# =========================================================================== read models


@dataclass(frozen=True)
class StatusChangeView(View):
    at: datetime
    status: int
    label: str
    cause: str
    actor: str | None


@dataclass(frozen=True)
class ClockChangeView(View):
    at: datetime
    kind: str
    policy: str | None
    due_before: datetime | None
    due_after: datetime | None
    remaining_hours: float | None
    note: str | None


@dataclass(frozen=True)
class LifecycleView(View):
    """A dossier as the law sees it: code, national status, dates, clock and apology."""

    dossier_id: int
    code: str | None
    status: int | None
    status_label: str
    procedure_code: str | None
    procedure_name: str | None
    agency_code: str
    agency_name: str
    channel: str
    applicant_name: str | None
    rule_set: str | None
    created_at: datetime
    received_at: datetime | None
    due_at: datetime | None
    original_due_at: datetime | None
    finished_at: datetime | None
    returned_at: datetime | None
    supplement_policy: str
    clock_paused: bool
    apology_count: int
    apology_reason: str | None
    reasons: tuple[str, ...]
    requested_documents: tuple[str, ...]
    closed_reason: str | None
    return_channel: str | None
    fee_amount_vnd: int | None
    payment_status: str
    run_state: str
    statuses: tuple[StatusChangeView, ...] = ()
    clock: tuple[ClockChangeView, ...] = ()


@dataclass(frozen=True)
class PublicStatus(View):
    """What anyone may see about a dossier by its code: nothing personal."""

    code: str
    procedure_name: str
    agency_name: str
    status: int | None
    status_label: str
    stage: str | None
    stage_label: str | None
    received_at: datetime | None
    due_at: datetime | None
    finished_at: datetime | None
    returned_at: datetime | None
    fee_unpaid: bool = False


# =========================================================================== the listener

domain.register_model_rules()  # motcua validate knows the markers without a database


class LifecycleListener:
    """Applies ``dossierEvent`` markers as their flow nodes complete (runs in the step's transaction)."""

    def after_run(self, ctx: Context, session: Session, dossier: Dossier, outcome: RunOutcome, actor: str):
        # The lifecycle row is made on the dossier's first run (which sets its procedure code); later
        # runs read it only when a marker applies.
        lc = _ensure_lifecycle(ctx, session, dossier) if dossier.procedure_code is None else None
        model = _model(ctx, session, dossier.process_version_id)
        for event in outcome.events:
            if event.lifecycle != "complete":
                continue
            marker = (model.element_properties.get(event.bpmn_id) or {}).get("dossierEvent")
            if marker:
                lc = lc or _ensure_lifecycle(ctx, session, dossier)
                apply_marker(
                    ctx, session, dossier, lc, marker.strip(), event, _task_data(outcome, event), actor
                )
            human = event.human_task
            stamping = human is not None and human.stage is not None and human.stage.value == "stamping"
            if stamping and dossier.code is not None:  # a result is issued for an accepted dossier only
                _issue_result(ctx, session, dossier, _task_data(outcome, event))


def install_lifecycle(ctx: Context) -> None:
    """Wire the lifecycle into a context (before the SLA listener, which reads ``due_at``)."""
    domain.register_model_rules()
    if not any(isinstance(listener, LifecycleListener) for listener in ctx.listeners):
        ctx.listeners.insert(0, LifecycleListener())


def _task_data(outcome: RunOutcome, event: ActivityEvent) -> dict[str, Any]:
    try:
        task = outcome.workflow.get_task_from_id(event.task_id)
    except Exception:  # noqa: BLE001 - a task of a finished subprocess: fall back to the event's delta
        task = None
    data = dict(task.data) if task is not None else {}
    data.update(event.data or {})
    return data


def _ensure_lifecycle(ctx: Context, s: Session, dossier: Dossier) -> DossierLifecycle:
    lc = s.get(DossierLifecycle, dossier.id)
    if lc is not None:
        return lc
    now = ctx.now()
    lc = DossierLifecycle(dossier_id=dossier.id, apology_count=0, payment_status="none", updated_at=now)
    s.add(lc)
    if dossier.procedure_code is None:
        dossier.procedure_code = domain.procedure_code_of(dossier.process_version.definition.key)
    if dossier.status is None and dossier.channel == "online":
        _set_status(s, dossier, Status.SUBMITTED_ONLINE, "submitted", SYSTEM_ACTOR, None, now)
    s.flush()
    return lc


def _set_status(
    s: Session,
    dossier: Dossier,
    status: int,
    cause: str,
    actor: str | None,
    element: str | None,
    at: datetime,
) -> None:
    previous = dossier.status
    dossier.status = int(status)
    s.add(
        DossierStatusChange(
            dossier_id=dossier.id,
            at=at,
            status=int(status),
            previous=previous,
            cause=cause,
            actor=actor,
            element=element,
        )
    )


def _clock(s: Session, dossier: Dossier, at: datetime, kind: str, due_before, due_after, **more) -> None:
    s.add(
        DossierClockChange(
            dossier_id=dossier.id, at=at, kind=kind, due_before=due_before, due_after=due_after, **more
        )
    )


def terms_for(ctx: Context, s: Session, dossier: Dossier) -> domain.ProcedureTerms:
    model = _model(ctx, s, dossier.process_version_id)
    code = dossier.procedure_code or domain.procedure_code_of(dossier.process_version.definition.key)
    return domain.load_terms(ctx.settings.processes_dir, code, model.process_properties)


def _reasons(data: dict[str, Any], *keys: str) -> list[str]:
    for key in keys:
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return [value.strip()]
        if isinstance(value, list | tuple):
            return [str(v) for v in value if str(v).strip()]
    return []


def apply_marker(
    ctx: Context,
    s: Session,
    dossier: Dossier,
    lc: DossierLifecycle,
    marker: str,
    event: ActivityEvent | None,
    data: dict[str, Any],
    actor: str,
) -> None:
    """Apply one lifecycle marker to a dossier (statuses, dates, the clock)."""
    if dossier.status in {Status.WITHDRAWN, Status.STOPPED, Status.REFUSED}:
        return
    now = ctx.now()
    element = event.bpmn_id if event else None
    lc.updated_at = now
    if marker == "accepted":
        if dossier.code is None:
            _accept(ctx, s, dossier, lc, now)
        _set_status(s, dossier, Status.ACCEPTED, marker, actor, element, now)
        _set_status(s, dossier, Status.PROCESSING, marker, actor, element, now)
    elif marker == "supplement_requested":
        lc.requested_documents = _reasons(data, "requested_documents", "missing_documents") or None
        lc.reasons = _reasons(data, "supplement_reasons", "reasons", "reason") or lc.reasons
        note = "supplement_requested"
        rules = rule_set_by_code(lc.rule_set)
        if rules and dossier.received_at is not None:
            spent = ctx.calendar_of(dossier.agency.code).working_hours_between(dossier.received_at, now)
            if spent > rules.incomplete_return_working_days * 8:
                note = f"supplement_requested late: {spent / 8:.1f} working days after reception"
        _pause_clock(ctx, s, dossier, lc, now, policy=lc.supplement_policy, note=note)
        _set_status(s, dossier, Status.SUPPLEMENT, marker, actor, element, now)
    elif marker == "supplement_received":
        _resume_clock(ctx, s, dossier, lc, now, policy=lc.supplement_policy)
        _set_status(s, dossier, Status.PROCESSING, marker, actor, element, now)
    elif marker == "refused":
        lc.reasons = _reasons(data, "refusal_reasons", "reasons", "reason") or None
        dossier.finished_at = now
        _set_status(s, dossier, Status.REFUSED, marker, actor, element, now)
    elif marker == "fee_requested":
        terms = terms_for(ctx, s, dossier)
        amount = domain.fee_due(terms, data.get("fee_exemption"))
        if lc.payment_status != "paid":
            lc.fee_amount_vnd = int(data.get("fee_amount_vnd") or amount)
            lc.payment_status = "unpaid" if lc.fee_amount_vnd else "exempt"
        _pause_clock(ctx, s, dossier, lc, now, policy="pause", note="fee_requested")
        _set_status(s, dossier, Status.FEE_REQUESTED, marker, actor, element, now)
    elif marker == "fee_paid":
        _resume_clock(ctx, s, dossier, lc, now, policy="pause")
        _set_status(s, dossier, Status.PROCESSING, marker, actor, element, now)
    elif marker in ("rejected", "result_ready"):
        if marker == "rejected":
            lc.reasons = _reasons(data, "rejection_reasons", "reasons", "reason") or None
        dossier.finished_at = now
        _set_status(s, dossier, Status.RESULT_READY, marker, actor, element, now)
    elif marker == "returned":
        channel = data.get("return_channel") or dossier.channel
        lc.return_channel = channel if channel in domain.RETURN_CHANNELS else dossier.channel
        if dossier.finished_at is None:
            dossier.finished_at = now
        dossier.returned_at = now
        _set_status(s, dossier, Status.RETURNED, marker, actor, element, now)
    else:
        return  # an unknown marker is reported by validation, never applied
    _append_event(
        s,
        dossier.id,
        now,
        activity=element or "dossier",
        lifecycle="status",
        actor=actor,
        data={"marker": marker, "status": dossier.status},
    )


def _accept(ctx: Context, s: Session, dossier: Dossier, lc: DossierLifecycle, now: datetime) -> None:
    day = domain.day_key(now)
    number = _next_number(s, dossier.agency_id, day)
    dossier.code = domain.format_code(dossier.agency.code, day, number)
    dossier.received_at = now
    rules = rule_set_for(now)
    lc.rule_set = rules.code
    terms = terms_for(ctx, s, dossier)
    lc.supplement_policy = terms.supplement_policy
    limit = terms.limit_for(dossier.channel)
    if limit is not None:
        lc.limit_amount, lc.limit_unit = limit.amount, limit.unit
        dossier.due_at = domain.appointment(
            ctx.calendar_of(dossier.agency.code), now, limit, terms.same_day_cutoff
        )
        lc.original_due_at = dossier.due_at
    _clock(s, dossier, now, "start", None, dossier.due_at, policy=lc.supplement_policy, note=rules.code)
    from .stamping import agency_credentials

    agency_credentials(ctx, s, dossier.agency)  # the agency's seal exists from its first dossier on


def _next_number(s: Session, agency_id: int, day: str) -> int:
    """The next number of the agency's daily sequence, in this transaction (the row stays locked until
    commit, so concurrent acceptances on PostgreSQL queue on it; SQLite writers are serialised)."""
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(DossierSequence)
        .values(agency_id=agency_id, day=day, last_number=1)
        .on_conflict_do_update(
            index_elements=["agency_id", "day"], set_={"last_number": DossierSequence.last_number + 1}
        )
        .returning(DossierSequence.last_number)
    )
    return int(s.execute(statement).scalar_one())


def _limit(lc: DossierLifecycle) -> TimeLimit | None:
    if lc.limit_amount is None or lc.limit_unit is None:
        return None
    return TimeLimit(lc.limit_amount, lc.limit_unit)  # type: ignore[arg-type]


def _pause_clock(
    ctx, s, dossier: Dossier, lc: DossierLifecycle, now: datetime, policy: str, note: str
) -> None:
    if lc.clock_paused_at is not None or dossier.due_at is None:
        return
    remaining = domain.remaining_working_hours(ctx.calendar_of(dossier.agency.code), now, dossier.due_at)
    lc.clock_paused_at = now
    lc.clock_remaining_hours = remaining if policy == "pause" else None
    _clock(
        s, dossier, now, "pause", dossier.due_at, None, policy=policy, remaining_hours=remaining, note=note
    )


def _resume_clock(ctx, s, dossier: Dossier, lc: DossierLifecycle, now: datetime, policy: str) -> None:
    if lc.clock_paused_at is None:
        return
    before = dossier.due_at
    limit = _limit(lc)
    if policy == "restart" and limit is not None:
        dossier.due_at = domain.appointment(ctx.calendar_of(dossier.agency.code), now, limit)
        kind = "restart"
    else:
        dossier.due_at = domain.resume_due(
            ctx.calendar_of(dossier.agency.code), now, lc.clock_remaining_hours or 0.0
        )
        kind = "resume"
    _clock(
        s, dossier, now, kind, before, dossier.due_at, policy=policy, remaining_hours=lc.clock_remaining_hours
    )
    lc.clock_paused_at = None
    lc.clock_remaining_hours = None


def _issue_result(ctx: Context, s: Session, dossier: Dossier, data: dict[str, Any]) -> None:
    from .stamping import issue_result_document

    try:
        issue_result_document(ctx, s, dossier, data)
    except MotcuaError:
        raise
    except Exception as exc:  # the stamping step must not complete without its signed result
        raise ProcessError(
            f"Không ký số được kết quả của hồ sơ {dossier.code}: {type(exc).__name__}: {exc}. Bước đóng dấu "
            "chưa hoàn thành. / The result could not be signed; the stamping step was not completed "
            "(check MOTCUA_SECRET_KEY, which protects the agency keys)."
        ) from exc


# =========================================================================== use cases


def submit(
    ctx: Context,
    process_key: str,
    agency_code: str,
    data: dict[str, Any] | None = None,
    submitted_by: UserView | None = None,
    channel: str = "counter",
    applicant_name: str | None = None,
) -> DossierView:
    """Submit a dossier by a channel; an online dossier waits for reception in status 1."""
    return submit_dossier(
        ctx, process_key, agency_code, data, submitted_by, channel=channel, applicant_name=applicant_name
    )


def get_lifecycle(ctx: Context, dossier_id: int, viewer: UserView | None = None) -> LifecycleView:
    with ctx.db.read() as s:
        return _lifecycle_view(ctx, s, _dossier(s, dossier_id, viewer), history=True)


def find_by_code(ctx: Context, code: str) -> LifecycleView:
    with ctx.db.read() as s:
        dossier = (
            s.scalar(select(Dossier).where(Dossier.code == code)) if domain.is_valid_code(code) else None
        )
        if dossier is None:
            raise NotFound(f"Không tìm thấy hồ sơ {code!r} / There is no dossier {code!r}.")
        return _lifecycle_view(ctx, s, dossier, history=True)


def withdraw(ctx: Context, dossier_id: int, reason: str, actor: UserView | None = None) -> LifecycleView:
    """The applicant withdraws the dossier (status 7): the workflow is cancelled, the reason kept."""
    return _close(ctx, dossier_id, reason, actor, Status.WITHDRAWN, "withdraw")


def stop_processing(
    ctx: Context, dossier_id: int, reason: str, actor: UserView | None = None
) -> LifecycleView:
    """The office stops processing the dossier (status 8), e.g. the applicant died or the law changed."""
    if actor is not None and not ({Role.SUPERVISOR, Role.APPROVER, Role.ADMIN} & set(actor.roles)):
        raise PermissionDenied(
            "Chỉ lãnh đạo hoặc giám sát được dừng xử lý hồ sơ / "
            "Only an approver or supervisor may stop processing."
        )
    return _close(ctx, dossier_id, reason, actor, Status.STOPPED, "stop")


def _close(
    ctx: Context, dossier_id: int, reason: str, actor: UserView | None, status: Status, lifecycle: str
) -> LifecycleView:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Cần nêu lý do / A reason is required.", fields={"reason": "Cần nêu lý do."})
    with unit_of_work(ctx) as s:
        dossier = _dossier(s, dossier_id, actor)
        lc = _ensure_lifecycle(ctx, s, dossier)
        if dossier.status in domain.CLOSED or dossier.status == Status.RESULT_READY:
            raise Conflict(
                f"Hồ sơ đang ở trạng thái '{domain.status_label(dossier.status)}', không thể "
                f"{'rút' if status == Status.WITHDRAWN else 'dừng xử lý'} / The dossier is "
                f"'{domain.status_label(dossier.status, 'en')}' and cannot be closed now."
            )
        now = ctx.now()
        name = actor.username if actor else SYSTEM_ACTOR
        _cancel_workflow(ctx, s, dossier, now)
        lc.closed_reason = reason
        lc.closed_by = name
        lc.updated_at = now
        dossier.finished_at = now
        _set_status(s, dossier, status, lifecycle, name, None, now)
        _append_event(
            s, dossier.id, now, activity="dossier", lifecycle=lifecycle, actor=name, data={"reason": reason}
        )
        s.flush()
        return _lifecycle_view(ctx, s, dossier)


def _cancel_workflow(ctx: Context, s: Session, dossier: Dossier, now: datetime) -> None:
    state = s.get(WorkflowState, dossier.id)
    if state is not None and dossier.run_state in ("running", "error"):
        model = _model(ctx, s, dossier.process_version_id)
        workflow = ctx.runtime.loads(state.state, model)
        workflow.cancel()
        state.state = ctx.runtime.dumps(workflow)
        state.updated_at = now
    for task in s.scalars(
        select(HumanTask).where(HumanTask.dossier_id == dossier.id, HumanTask.state == "open")
    ):
        task.state = "cancelled"
        task.completed_at = now
    for timer in s.scalars(select(Timer).where(Timer.dossier_id == dossier.id, Timer.state == "pending")):
        timer.state = "cancelled"
        timer.fired_at = now
    dossier.run_state = "cancelled"
    dossier.updated_at = now
    dossier.completed_at = now


def apologize(
    ctx: Context, dossier_id: int, new_due_at: datetime, reason: str, actor: UserView | None = None
) -> LifecycleView:
    """Issue the apology letter with a new appointment date (phiếu xin lỗi và hẹn lại ngày trả).

    Allowed once per dossier, at least one working day before the current due date, and the new date
    must come after it."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(
            "Cần nêu lý do chậm trễ / The reason for the delay is required.", fields={"reason": "required"}
        )
    if new_due_at.tzinfo is None:
        new_due_at = new_due_at.replace(tzinfo=VIETNAM)
    with unit_of_work(ctx) as s:
        dossier = _dossier(s, dossier_id, actor)
        lc = _ensure_lifecycle(ctx, s, dossier)
        rules = rule_set_by_code(lc.rule_set) or rule_set_for(dossier.received_at or ctx.now())
        if lc.apology_count >= rules.apology_limit:
            raise Conflict(
                "Hồ sơ đã được xin lỗi và hẹn lại ngày trả một lần; không được hẹn lại lần thứ hai "
                f"(ngày hẹn hiện tại: {_local(dossier.due_at)}). / The appointment was already moved once "
                "with an apology; it cannot be moved a second time."
            )
        if dossier.due_at is None or dossier.status not in {
            Status.ACCEPTED,
            Status.PROCESSING,
            Status.SUPPLEMENT,
            Status.FEE_REQUESTED,
        }:
            raise Conflict(
                "Chỉ hồ sơ đang xử lý và có ngày hẹn mới được xin lỗi, hẹn lại / Only a dossier being "
                "processed, with an appointment date, can get an apology."
            )
        now = ctx.now()
        left = ctx.calendar_of(dossier.agency.code).working_hours_between(now, dossier.due_at)
        if left < rules.apology_min_working_hours:
            raise Conflict(
                "Phiếu xin lỗi phải được gửi chậm nhất 01 ngày làm việc trước ngày hẹn trả "
                f"({_local(dossier.due_at)}); nay chỉ còn {left:.1f} giờ làm việc. / "
                "The apology must come at least one working day before the due date."
            )
        if new_due_at <= dossier.due_at:
            raise InvalidInput(
                f"Ngày hẹn mới phải sau ngày hẹn hiện tại ({_local(dossier.due_at)}) / The new date must "
                "come after the current due date.",
                fields={"new_due_at": "Phải sau ngày hẹn hiện tại."},
            )
        before = dossier.due_at
        dossier.due_at = new_due_at
        lc.apology_count += 1
        lc.apology_at = now
        lc.apology_reason = reason
        lc.updated_at = now
        name = actor.username if actor else SYSTEM_ACTOR
        _clock(s, dossier, now, "apology", before, new_due_at, note=reason)
        _append_event(
            s,
            dossier.id,
            now,
            activity="dossier",
            lifecycle="apology",
            actor=name,
            data={"due_before": before.isoformat(), "due_after": new_due_at.isoformat(), "reason": reason},
        )
        s.flush()
        return _lifecycle_view(ctx, s, dossier)


def public_status(ctx: Context, code: str) -> PublicStatus:
    """The public look-up by dossier code: procedure, stage, appointment date, status; nothing personal."""
    code = (code or "").strip()
    if not domain.is_valid_code(code):
        raise NotFound("Không tìm thấy hồ sơ / Dossier not found.")
    with ctx.db.read() as s:
        dossier = s.scalar(select(Dossier).where(Dossier.code == code))
        if dossier is None:
            raise NotFound("Không tìm thấy hồ sơ / Dossier not found.")
        return _public_view(ctx, s, dossier)


def _public_view(ctx: Context, s: Session, dossier: Dossier) -> PublicStatus:
    from ..roles import STAGE_LABELS, Stage

    tasks = list(
        s.scalars(
            select(HumanTask).where(
                HumanTask.dossier_id == dossier.id,
                HumanTask.stage.is_not(None),
                HumanTask.state != "cancelled",
            )
        )
    )
    open_tasks = [t for t in tasks if t.state == "open"]
    done = sorted((t for t in tasks if t.completed_at), key=lambda t: t.completed_at)
    task = open_tasks[0] if open_tasks else (done[-1] if done else None)
    stage = task.stage if task else None
    label = STAGE_LABELS[Stage(stage)][0] if stage in {x.value for x in Stage} else None
    lc = s.get(DossierLifecycle, dossier.id)
    return PublicStatus(
        code=dossier.code or "",
        procedure_name=_procedure_name(ctx, s, dossier),
        agency_name=dossier.agency.name,
        status=dossier.status,
        status_label=domain.status_label(dossier.status),
        stage=stage,
        stage_label=label,
        received_at=dossier.received_at,
        due_at=dossier.due_at,
        finished_at=dossier.finished_at,
        returned_at=dossier.returned_at,
        fee_unpaid=bool(lc and lc.payment_status == "unpaid"),
    )


def _procedure_name(ctx: Context, s: Session, dossier: Dossier) -> str:
    try:
        terms = terms_for(ctx, s, dossier)
    except Exception:  # noqa: BLE001 - a broken manifest must not break a look-up
        terms = None
    pv: ProcessVersion = dossier.process_version
    return (terms.name_vi if terms else None) or pv.name or pv.definition.name or pv.definition.key


def _local(moment: datetime | None) -> str:
    return moment.astimezone(VIETNAM).strftime("%H:%M %d/%m/%Y") if moment else "—"


def _lifecycle_view(ctx: Context, s: Session, dossier: Dossier, history: bool = False) -> LifecycleView:
    lc = s.get(DossierLifecycle, dossier.id)
    statuses: tuple[StatusChangeView, ...] = ()
    clock: tuple[ClockChangeView, ...] = ()
    if history:
        statuses = tuple(
            StatusChangeView(c.at, c.status, domain.status_label(c.status), c.cause, c.actor)
            for c in s.scalars(
                select(DossierStatusChange)
                .where(DossierStatusChange.dossier_id == dossier.id)
                .order_by(DossierStatusChange.id)
            )
        )
        clock = tuple(
            ClockChangeView(c.at, c.kind, c.policy, c.due_before, c.due_after, c.remaining_hours, c.note)
            for c in s.scalars(
                select(DossierClockChange)
                .where(DossierClockChange.dossier_id == dossier.id)
                .order_by(DossierClockChange.id)
            )
        )
    return LifecycleView(
        dossier_id=dossier.id,
        code=dossier.code,
        status=dossier.status,
        status_label=domain.status_label(dossier.status),
        procedure_code=dossier.procedure_code,
        procedure_name=_procedure_name(ctx, s, dossier),
        agency_code=dossier.agency.code,
        agency_name=dossier.agency.name,
        channel=dossier.channel,
        applicant_name=dossier.applicant_name,
        rule_set=lc.rule_set if lc else None,
        created_at=dossier.created_at,
        received_at=dossier.received_at,
        due_at=dossier.due_at,
        original_due_at=lc.original_due_at if lc else None,
        finished_at=dossier.finished_at,
        returned_at=dossier.returned_at,
        supplement_policy=lc.supplement_policy if lc else "restart",
        clock_paused=bool(lc and lc.clock_paused_at),
        apology_count=lc.apology_count if lc else 0,
        apology_reason=lc.apology_reason if lc else None,
        reasons=tuple((lc.reasons or ()) if lc else ()),
        requested_documents=tuple((lc.requested_documents or ()) if lc else ()),
        closed_reason=lc.closed_reason if lc else None,
        return_channel=lc.return_channel if lc else None,
        fee_amount_vnd=lc.fee_amount_vnd if lc else None,
        payment_status=lc.payment_status if lc else "none",
        run_state=dossier.run_state,
        statuses=statuses,
        clock=clock,
    )


# =========================================================================== data for the forms


@dataclass(frozen=True)
class HandOver(View):
    """One row of the processing control slip: who handed the dossier to whom, when, and how it went."""

    step: str
    stage: str | None
    giver: str | None
    receiver: str | None
    received_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    result: str  # early | on_time | late | open


def hand_overs(ctx: Context, dossier_id: int) -> list[HandOver]:
    """The hand-overs of a dossier, from its human tasks in order."""
    with ctx.db.read() as s:
        _dossier(s, dossier_id)
        rows = s.execute(
            select(HumanTask, User.full_name)
            .outerjoin(User, User.id == HumanTask.completed_by_id)
            .where(HumanTask.dossier_id == dossier_id, HumanTask.state != "cancelled")
            .order_by(HumanTask.created_at, HumanTask.id)
        ).all()
        result: list[HandOver] = []
        previous: str | None = None
        for task, completed_by in rows:
            result.append(
                HandOver(
                    step=task.label,
                    stage=task.stage,
                    giver=previous,
                    receiver=completed_by,
                    received_at=task.created_at,
                    due_at=task.due_at,
                    completed_at=task.completed_at,
                    result=classify(task.completed_at, task.due_at),
                )
            )
            previous = completed_by or previous
        return result


def classify(done: datetime | None, due: datetime | None) -> str:
    """Before (trước hạn), on (đúng hạn) or after (quá hạn) the due date, by calendar date in Vietnam."""
    if done is None:
        return "open"
    if due is None:
        return "on_time"
    done_day, due_day = done.astimezone(VIETNAM).date(), due.astimezone(VIETNAM).date()
    return "early" if done_day < due_day else "on_time" if done_day == due_day else "late"


def register_rows(ctx: Context, agency_code: str, start: date, end: date) -> list[LifecycleView]:
    """Dossiers an agency received between two dates (Vietnam time), for the dossier register."""
    lo = datetime.combine(start, datetime.min.time(), VIETNAM)
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time(), VIETNAM)
    with ctx.db.read() as s:
        agency = s.scalar(select(Agency).where(Agency.code == agency_code))
        if agency is None:
            raise NotFound(f"There is no agency '{agency_code}'.")
        dossiers = s.scalars(
            select(Dossier)
            .where(Dossier.agency_id == agency.id, Dossier.received_at >= lo, Dossier.received_at < hi)
            .order_by(Dossier.received_at, Dossier.id)
        )
        return [_lifecycle_view(ctx, s, d) for d in dossiers]


def result_document(ctx: Context, dossier_id: int) -> tuple[str, bytes] | None:
    """The signed result of a dossier (its verification token and the PDF bytes), if issued."""
    with ctx.db.read() as s:
        doc = s.scalars(
            select(IssuedDocument)
            .where(IssuedDocument.dossier_id == dossier_id, IssuedDocument.kind == "result")
            .order_by(IssuedDocument.id.desc())
            .limit(1)
        ).first()
        return (doc.token, doc.content) if doc else None


FORM_RENDERERS = ("receipt", "supplement", "refusal", "apology", "stop_notice", "control_slip")


def render_form(ctx: Context, dossier_id: int, form: str, officer: str | None = None) -> bytes:
    """One of the legal forms of a dossier as PDF, numbered per the rule set of its reception date."""
    from ..documents import pdf_forms

    if form not in FORM_RENDERERS:
        raise InvalidInput(
            f"Unknown form '{form}'; use one of {', '.join(FORM_RENDERERS)} (or the register).",
            fields={"form": "unknown"},
        )
    view = get_lifecycle(ctx, dossier_id)
    rules = rule_set_by_code(view.rule_set) or rule_set_for(view.received_at or view.created_at)
    if rules.form(form) is None:
        raise InvalidInput(
            f"{rules.circular} has no such form ('{form}'); the dossier follows the rules of {rules.decree}.",
            fields={"form": "not in force for this dossier"},
        )
    if form == "control_slip":
        return pdf_forms.control_slip(view, rules, hand_overs(ctx, dossier_id))
    if form in ("receipt", "supplement", "apology", "stop_notice") and view.code is None:
        raise Conflict("Hồ sơ chưa được tiếp nhận (chưa có mã hồ sơ) / The dossier was not accepted yet.")
    render = {
        "receipt": pdf_forms.receipt,
        "supplement": pdf_forms.supplement_request,
        "refusal": pdf_forms.refusal,
        "apology": pdf_forms.apology,
        "stop_notice": pdf_forms.stop_notice,
    }[form]
    return render(view, rules, officer)


def render_register(ctx: Context, agency_code: str, start: date, end: date) -> bytes:
    """The dossier register of an agency for a period, as PDF."""
    from ..documents import pdf_forms

    rows = register_rows(ctx, agency_code, start, end)
    rules = rule_set_for(end)
    with ctx.db.read() as s:
        agency_name = s.scalar(select(Agency.name).where(Agency.code == agency_code))
    period = f"{start:%d/%m/%Y} – {end:%d/%m/%Y}"
    return pdf_forms.register(agency_name, rules, period, rows)
