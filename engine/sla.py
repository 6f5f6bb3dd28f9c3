"""Service levels: appointment dates, step deadlines, SLA timers and on-time classification.

Pure functions on a :class:`~engine.calendar.WorkCalendar`; the use cases in
:mod:`engine.services.sla` apply them to the store.

Classification compares calendar dates in Vietnam time (DOMAIN.md "Counting time"): finished before
the due date is *early* (trước hạn), on it *on time* (đúng hạn), after it *late* (quá hạn). An
unfinished dossier at a cut-off is *within* its due date or *past* it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from .calendar import HOURS_PER_WORKING_DAY, TimeLimit, WorkCalendar
from .clock import VIETNAM

Classification = Literal["early", "on_time", "late"]
Progress = Literal["within", "past_due"]

REMINDER_SHARE = 0.75  # the reminder goes out when a step has used 75 % of its time
APOLOGY_LEAD_HOURS = HOURS_PER_WORKING_DAY  # the apology alert: one working day before the due date

# Timer kinds (timers.kind) the SLA feature owns; "bpmn" belongs to the core.
SLA_REMINDER = "sla_reminder"
SLA_OVERDUE = "sla_overdue"
SLA_APOLOGY = "sla_apology"
SLA_DOSSIER_OVERDUE = "sla_late"  # the dossier itself is past its due date
STEP_KINDS = (SLA_REMINDER, SLA_OVERDUE)
DOSSIER_KINDS = (SLA_APOLOGY, SLA_DOSSIER_OVERDUE)
SLA_KINDS = STEP_KINDS + DOSSIER_KINDS

# National dossier statuses that end the count: refused at reception, withdrawn, stopped,
# result ready, returned.
FINISHED_STATUSES = frozenset({3, 7, 8, 9, 10})
WITHDRAWN_STATUSES = frozenset({3, 7, 8})
PAUSED_STATUSES = frozenset({5, 6})  # supplement requested, fee requested: the clock is paused

LABELS_VI = {
    "early": "Trước hạn",
    "on_time": "Đúng hạn",
    "late": "Quá hạn",
    "within": "Trong hạn",
    "past_due": "Quá hạn",
}


def limit_from_manifest(manifest: dict, channel: str = "counter") -> TimeLimit:
    """The statutory limit of a procedure from its manifest's ``[limit]`` table:
    ``amount`` and ``unit``, ``online_amount`` for online submissions, ``same_day_cutoff``."""
    table = manifest.get("limit") or {}
    amount = table.get("amount")
    if amount is None:
        raise ValueError(f"procedure {manifest.get('code', '?')} has no [limit] amount")
    if channel == "online" and table.get("online_amount") is not None:
        amount = table["online_amount"]
    return TimeLimit(
        float(amount), table.get("unit", "working_days"), bool(table.get("same_day_cutoff", False))
    )


def appointment_date(calendar: WorkCalendar, received_at: datetime, limit: TimeLimit) -> datetime:
    """The appointment date (ngày hẹn trả) of a dossier received at ``received_at``."""
    return calendar.due(received_at, limit)


def step_due(calendar: WorkCalendar, opened_at: datetime, allotted_hours: float | None) -> datetime | None:
    """When a step with ``allotted_hours`` of working time, opened at ``opened_at``, is due."""
    return calendar.add_working_hours(opened_at, allotted_hours) if allotted_hours else None


def reminder_at(calendar: WorkCalendar, opened_at: datetime, due_at: datetime) -> datetime:
    """When 75 % of the step's working time has been used."""
    allotted = calendar.working_hours_between(opened_at, due_at)
    if allotted <= 0:
        return due_at
    return calendar.add_working_hours(opened_at, allotted * REMINDER_SHARE)


def apology_at(calendar: WorkCalendar, due_at: datetime) -> datetime:
    """One working day before the dossier's due time."""
    back = getattr(calendar, "subtract_working_hours", None)
    if back is not None:
        return back(due_at, APOLOGY_LEAD_HOURS)
    # A calendar without the backwards walk: step back day by day over working days.
    from datetime import timedelta

    day = due_at.astimezone(VIETNAM)
    moved = 0
    while moved < 1:
        day -= timedelta(days=1)
        if calendar.is_working_day(day.date()):
            moved += 1
    return day


def local_date(moment: datetime):
    return moment.astimezone(VIETNAM).date()


def classify(done_at: datetime, due_at: datetime) -> Classification:
    """Early, on time or late: the completion date against the due date, in Vietnam."""
    done, due = local_date(done_at), local_date(due_at)
    if done < due:
        return "early"
    if done == due:
        return "on_time"
    return "late"


def progress(due_at: datetime | None, cutoff: datetime) -> Progress:
    """An unfinished dossier or step at ``cutoff``: within its due date or past it (by date)."""
    if due_at is None:
        return "within"
    return "past_due" if local_date(due_at) < local_date(cutoff) else "within"


@dataclass(frozen=True)
class StepClassification:
    due_at: datetime | None
    finished_at: datetime | None
    result: Classification | Progress | None

    @property
    def label_vi(self) -> str:
        return LABELS_VI.get(self.result or "", "")


def classify_step(
    due_at: datetime | None, finished_at: datetime | None, cutoff: datetime
) -> StepClassification:
    if due_at is None:
        return StepClassification(due_at, finished_at, None)
    if finished_at is not None:
        return StepClassification(due_at, finished_at, classify(finished_at, due_at))
    return StepClassification(due_at, None, progress(due_at, cutoff))
