"""The dossier (hồ sơ) lifecycle: national statuses, the dossier code, the appointment clock, fees.

Pure domain: no database, no web. The use cases in :mod:`engine.services.dossiers` and the
lifecycle listener apply these rules inside a transaction.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum
from pathlib import Path
from typing import Any

from .bpmn.diagnostics import Diagnostic, error
from .calendar import TimeLimit, WorkCalendar
from .catalog import MANIFEST, SUPPLEMENT_POLICIES, CatalogError, Fee, Procedure, load_procedure
from .clock import VIETNAM
from .errors import NotFound

log = logging.getLogger(__name__)


class Status(IntEnum):
    """National dossier statuses (trạng thái hồ sơ), synchronised with the national portal."""

    SUBMITTED_ONLINE = 1  # nộp trực tuyến, chờ tiếp nhận
    ACCEPTED = 2  # đã tiếp nhận
    REFUSED = 3  # từ chối tiếp nhận
    PROCESSING = 4  # đang xử lý
    SUPPLEMENT = 5  # yêu cầu bổ sung
    FEE_REQUESTED = 6  # yêu cầu thực hiện nghĩa vụ tài chính
    WITHDRAWN = 7  # công dân rút hồ sơ
    STOPPED = 8  # dừng xử lý
    RESULT_READY = 9  # đã xử lý xong
    RETURNED = 10  # đã trả kết quả


STATUS_LABELS: dict[int, tuple[str, str]] = {
    1: ("Mới đăng ký trực tuyến, chờ tiếp nhận", "Submitted online, awaiting reception"),
    2: ("Đã tiếp nhận", "Accepted"),
    3: ("Từ chối tiếp nhận", "Refused at reception"),
    4: ("Đang xử lý", "Being processed"),
    5: ("Yêu cầu bổ sung hồ sơ", "Supplement requested"),
    6: ("Yêu cầu thực hiện nghĩa vụ tài chính", "Financial obligation requested"),
    7: ("Công dân rút hồ sơ", "Withdrawn by the applicant"),
    8: ("Dừng xử lý", "Processing stopped"),
    9: ("Đã xử lý xong", "Processed, result ready"),
    10: ("Đã trả kết quả", "Result returned"),
}

#: statuses after which nothing more happens to a dossier (except the return of a ready result)
CLOSED = {Status.REFUSED, Status.WITHDRAWN, Status.STOPPED, Status.RETURNED}

#: the markers a flow node may carry in its ``dossierEvent`` property
MARKERS = (
    "accepted",
    "supplement_requested",
    "supplement_received",
    "refused",
    "fee_requested",
    "fee_paid",
    "rejected",
    "result_ready",
    "returned",
)

RETURN_CHANNELS = ("counter", "post", "online")


def status_label(status: int | None, lang: str = "vi") -> str:
    if status is None:
        return "Đang tiếp nhận" if lang == "vi" else "Being received"
    vi, en = STATUS_LABELS.get(int(status), (str(status), str(status)))
    return vi if lang == "vi" else en


# --------------------------------------------------------------------------- dossier code

CODE_PATTERN = re.compile(r"^(?P<agency>[A-Za-z0-9.]{1,30})-(?P<day>\d{6})-(?P<number>\d{4,6})$")


def day_key(moment: datetime) -> str:
    """The ``YYMMDD`` of a moment in Vietnam time (a dossier received at 23:30 UTC is already tomorrow)."""
    return moment.astimezone(VIETNAM).strftime("%y%m%d")


def format_code(agency_code: str, day: str, number: int) -> str:
    """``<agency>-<YYMMDD>-<NNNN>`` (mã hồ sơ); the number keeps growing past 9999 if it must."""
    return f"{agency_code}-{day}-{number:04d}"


def is_valid_code(text: str | None) -> bool:
    return bool(text) and len(text) <= 40 and CODE_PATTERN.match(text) is not None


# --------------------------------------------------------------------------- procedures


@dataclass(frozen=True)
class ProcedureTerms:
    """What the catalog's manifest (or the process itself) says about a procedure's deadline and fees."""

    code: str
    name_vi: str | None = None
    name_en: str | None = None
    limit: TimeLimit | None = None
    online_limit: TimeLimit | None = None
    same_day_cutoff: bool = False
    supplement_policy: str = "restart"
    fees: tuple[Fee, ...] = ()
    source: str = "none"  # manifest | process | none

    def limit_for(self, channel: str) -> TimeLimit | None:
        return self.online_limit if channel == "online" and self.online_limit else self.limit


def procedure_code_of(process_key: str) -> str:
    """``birth_registration_to_be`` -> ``birth_registration`` (process ids)."""
    for suffix in ("_as_is", "_to_be"):
        if process_key.endswith(suffix):
            return process_key[: -len(suffix)]
    return process_key


def load_terms(
    processes_dir: Path, procedure_code: str, process_properties: dict[str, str]
) -> ProcedureTerms:
    """The catalog's manifest ``processes/<code>/manifest.toml`` when there is one, else the process
    properties ``limitAmount``/``limitUnit`` (and ``supplementPolicy``, ``sameDayCutoff``, ``feeVnd``)."""
    folder = processes_dir / procedure_code
    if (folder / MANIFEST).is_file():
        try:
            return terms_from_procedure(load_procedure(folder))
        except (CatalogError, NotFound) as exc:
            # a broken manifest must not stop dossiers: fall back to the process, and say so
            log.warning("manifest of %s is unusable (%s); using the process's own properties", folder, exc)
    return terms_from_properties(procedure_code, process_properties)


def terms_from_procedure(procedure: Procedure) -> ProcedureTerms:
    return ProcedureTerms(
        code=procedure.code,
        name_vi=procedure.name_vi,
        name_en=procedure.name_en,
        limit=procedure.limit,
        online_limit=procedure.online_limit,
        same_day_cutoff=procedure.same_day_cutoff,
        supplement_policy=procedure.supplement_policy,
        fees=procedure.fees,
        source="manifest",
    )


def terms_from_properties(procedure_code: str, props: dict[str, str]) -> ProcedureTerms:
    limit = None
    if props.get("limitAmount"):
        try:
            limit = TimeLimit(float(props["limitAmount"]), props.get("limitUnit") or "working_days")
        except ValueError:
            limit = None
    policy = props.get("supplementPolicy", "restart")
    fees = ()
    if props.get("feeVnd", "").isdigit():
        fees = (
            Fee(
                "Lệ phí", int(props["feeVnd"]), tuple(filter(None, props.get("feeExemptions", "").split(",")))
            ),
        )
    return ProcedureTerms(
        code=procedure_code,
        name_vi=props.get("nameVi"),
        limit=limit,
        same_day_cutoff=props.get("sameDayCutoff", "").lower() == "true",
        supplement_policy=policy if policy in SUPPLEMENT_POLICIES else "restart",
        fees=fees,
        source="process" if limit else "none",
    )


def fee_due(terms: ProcedureTerms, exemption: str | None = None) -> int:
    """The total fee in VND; a fee whose exemptions include ``exemption`` is not charged."""
    return sum(f.amount_vnd for f in terms.fees if not (exemption and exemption in f.exemptions))


# --------------------------------------------------------------------------- the appointment clock

SAME_DAY_CUTOFF_HOUR = 15


def appointment(
    calendar: WorkCalendar, received_at: datetime, limit: TimeLimit, same_day_cutoff: bool = False
) -> datetime:
    """The appointment date (ngày hẹn trả) for a limit counted from ``received_at``.

    With the 15:00 rule, a same-day procedure (a limit of at most one working day) received before
    15:00 is due at the close of that working day, and one received later at the close of the next.
    A limit of 0 means "the same day": due at the close of the reception's working day.
    """
    same_day = limit.amount == 0  # "trong ngày": by the close of the reception's working day
    if (same_day or same_day_cutoff) and (limit.working_hours or 0) <= 8 and limit.unit != "calendar_days":
        local = received_at.astimezone(VIETNAM)
        day = local.date()
        late = same_day_cutoff and local.hour >= SAME_DAY_CUTOFF_HOUR
        if not calendar.is_working_day(day) or late:
            day += timedelta(days=1)
            while not calendar.is_working_day(day):
                day += timedelta(days=1)
        start = datetime.combine(day, datetime.min.time(), VIETNAM)
        return calendar.add_working_hours(start, 8)
    return calendar.due(received_at, limit)


@dataclass(frozen=True)
class ClockMove:
    """A change of the appointment clock, as recorded in the clock history."""

    kind: str
    due_before: datetime | None
    due_after: datetime | None
    remaining_hours: float | None = None
    policy: str | None = None
    note: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def remaining_working_hours(calendar: WorkCalendar, now: datetime, due_at: datetime) -> float:
    return max(0.0, calendar.working_hours_between(now, due_at))


def resume_due(calendar: WorkCalendar, now: datetime, remaining_hours: float) -> datetime:
    """The new due date when a paused clock resumes with ``remaining_hours`` of working time left."""
    return calendar.add_working_hours(now, remaining_hours)


# --------------------------------------------------------------------------- model check


def lifecycle_marker_rule(doc, ctx) -> Iterator[Diagnostic]:
    """A ``dossierEvent`` property must name a known lifecycle marker."""
    from .bpmn.rules import _label, _where, element_properties

    if doc.kind != "bpmn":
        return
    for node in doc.root.iter():
        if not isinstance(node.tag, str) or not node.get("id"):
            continue
        marker = element_properties(node).get("dossierEvent")
        if marker is not None and marker.strip() not in MARKERS:
            yield error(
                "dossier-event-unknown",
                f"{_label(node)} has dossierEvent '{marker}'; it must be one of {', '.join(MARKERS)}.",
                **_where(doc, node),
            )


def register_model_rules() -> None:
    """Add the marker check to model validation (idempotent; called when the lifecycle is wired)."""
    from .bpmn.rules import RULES

    if lifecycle_marker_rule not in RULES:
        RULES.append(lifecycle_marker_rule)
