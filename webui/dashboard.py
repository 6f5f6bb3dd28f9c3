"""The supervisor's dashboard: where work piles up, per procedure, stage and state, as charts; the
on-time report (early / on time / late, within / past due) per procedure and agency over a period the
user chooses, with its trend per month, week or day; the supervisor's escalations."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.clock import VIETNAM
from engine.errors import InvalidInput, PermissionDenied
from engine.roles import Role, Stage
from engine.services import list_agencies
from engine.services import sla as sla_services
from engine.services.dashboard import agency_figures, overdue_tasks

from .auth import app_context, current_user, require_roles
from .i18n import stage_label

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

RUN_STATES = ("running", "error", "completed", "cancelled")


def national_status_labels() -> dict[str, str]:
    """The national dossier statuses 1-10 (synchronised with the national portal)."""
    return {
        "1": _("Mới nộp trực tuyến, chờ tiếp nhận"),
        "2": _("Đã tiếp nhận"),
        "3": _("Từ chối tiếp nhận"),
        "4": _("Đang giải quyết"),
        "5": _("Yêu cầu bổ sung"),
        "6": _("Chờ thực hiện nghĩa vụ tài chính"),
        "7": _("Công dân rút hồ sơ"),
        "8": _("Dừng xử lý"),
        "9": _("Đã có kết quả"),
        "10": _("Đã trả kết quả"),
    }


@bp.get("/")
@require_roles(Role.SUPERVISOR, Role.ADMIN)
def index():
    user = current_user()
    figures = agency_figures(app_context(), user)
    procedures = figures.procedures
    stages = [s.value for s in Stage]

    def grid(counts, keys):
        table = {(c.process_key, c.key): c.count for c in counts}
        return [[table.get((p, k), 0) for p in procedures] for k in keys]

    charts = {
        "procedures": procedures,
        "stages": [stage_label(s) for s in stages],
        "open_by_stage": grid(figures.open_tasks_by_stage, stages),
        "overdue_by_stage": [sum(row) for row in grid(figures.overdue_tasks_by_stage, stages)],
        "run_states": list(RUN_STATES),
        "dossiers_by_state": grid(figures.dossiers_by_state, RUN_STATES),
    }
    totals = {
        "open": sum(c.count for c in figures.open_tasks_by_stage),
        "overdue": sum(c.count for c in figures.overdue_tasks_by_stage),
        "running": sum(c.count for c in figures.dossiers_by_state if c.key == "running"),
        "error": sum(c.count for c in figures.dossiers_by_state if c.key == "error"),
        "completed": sum(c.count for c in figures.dossiers_by_state if c.key == "completed"),
    }
    labels = national_status_labels()
    by_status: dict[str | None, int] = {}
    for c in figures.dossiers_by_status:
        by_status[c.key] = by_status.get(c.key, 0) + c.count
    statuses = [(key, labels.get(key, key), n) for key, n in sorted(by_status.items(), key=_status_order)]
    period = _period(user)
    ontime = _ontime(period) if not period["errors"] else None
    period["procedures"] = _procedure_choices(period, ontime, charts["procedures"])
    try:
        escalations = sla_services.list_escalations(app_context(), user)
    except PermissionDenied:
        escalations = []
    return render_template(
        "dashboard/index.html",
        figures=figures,
        charts=charts,
        totals=totals,
        statuses=statuses,
        overdue=overdue_tasks(app_context(), user),
        now=app_context().now(),
        user=user,
        period=period,
        ontime=ontime,
        escalations=escalations,
        agencies=list_agencies(app_context()) if Role.ADMIN in user.roles else [],
    ), (422 if period["errors"] else 200)


GROUPS = ("month", "week", "day")
MAX_PERIODS = 62


def _date(raw: str | None, default: date, field: str, errors: dict[str, str]) -> date:
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[field] = _("Ngày không hợp lệ (dd/mm/yyyy).")
        return default


def _period(user) -> dict:
    """The period, grouping and agency chosen in the form (the last 6 months by default); a
    supervisor always sees their own agency, an admin any or all."""
    errors: dict[str, str] = {}
    today = app_context().now().astimezone(VIETNAM).date()
    default_start = (today.replace(day=1) - timedelta(days=150)).replace(day=1)
    start = _date(request.args.get("from"), default_start, "from", errors)
    end = _date(request.args.get("to"), today, "to", errors)
    group = request.args.get("group", "month")
    if group not in GROUPS:
        errors["group"] = _("Chọn theo tháng, tuần hoặc ngày.")
        group = "month"
    if not errors and end < start:
        errors["to"] = _("Ngày kết thúc trước ngày bắt đầu.")
    agency = user.agency_code
    if Role.ADMIN in user.roles:
        agency = request.args.get("agency", "") or None
    periods = _split(start, end, group) if not errors else []
    if len(periods) > MAX_PERIODS:
        errors["group"] = _("Quá nhiều kỳ (%(n)s); chọn khoảng ngắn hơn hoặc gộp theo tháng.", n=len(periods))
    procedure = request.args.get("procedure", "") or None
    return {
        "start": start, "end": end, "group": group, "agency": agency, "procedure": procedure,
        "periods": periods, "errors": errors,
    }  # fmt: skip


def _split(start: date, end: date, group: str) -> list[tuple[str, date, date]]:
    """Consecutive periods covering start..end: (label, first day, last day)."""
    out, day = [], start
    while day <= end:
        if group == "month":
            nxt = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
            label = f"{day.month:02d}/{day.year}"
        elif group == "week":
            nxt = day + timedelta(days=7 - day.weekday())
            label = day.strftime("%d/%m")
        else:
            nxt = day + timedelta(days=1)
            label = day.strftime("%d/%m")
        last = min(nxt - timedelta(days=1), end)
        out.append((label, day, last))
        day = nxt
    return out


def _ontime(period: dict) -> dict:
    ctx = app_context()
    args = {"agency_code": period["agency"], "procedure_code": period["procedure"]}
    rows = sla_services.ontime_report(ctx, period["start"], period["end"], **args)
    trend: dict[str, list] = {k: [] for k in ("early", "on_time", "late", "within", "past_due", "share")}
    for _label, first, last in period["periods"]:
        part = sla_services.ontime_report(ctx, first, last, **args)
        early = sum(r.completed_early for r in part)
        on_time = sum(r.completed_on_time for r in part)
        late = sum(r.completed_late for r in part)
        trend["early"].append(early)
        trend["on_time"].append(on_time)
        trend["late"].append(late)
        trend["within"].append(sum(r.in_progress_within for r in part))
        trend["past_due"].append(sum(r.in_progress_past_due for r in part))
        done = early + on_time + late
        trend["share"].append(round(100 * (early + on_time) / done, 1) if done else None)
    completed = sum(r.completed_total for r in rows)
    good = sum(r.completed_early + r.completed_on_time for r in rows)
    totals = {
        "received": sum(r.received_total for r in rows),
        "completed": completed,
        "late": sum(r.completed_late for r in rows),
        "past_due": sum(r.in_progress_past_due for r in rows),
        "share": (100 * good / completed) if completed else None,
    }
    chart = {
        "periods": [label for label, _f, _l in period["periods"]],
        **trend,
        "rows": [f"{r.procedure_code} · {r.agency_code}" for r in rows],
        "row_early": [r.completed_early for r in rows],
        "row_on_time": [r.completed_on_time for r in rows],
        "row_late": [r.completed_late for r in rows],
    }
    return {"rows": rows, "totals": totals, "chart": chart}


def _procedure_choices(period: dict, ontime: dict | None, process_keys: list[str]) -> list[str]:
    """Procedure codes to filter by: those with dossiers in the period, plus the deployed processes."""
    codes = set(process_keys)
    if period["procedure"]:
        codes.add(period["procedure"])
        if not period["errors"]:
            every = {**period, "procedure": None}
            rows = sla_services.ontime_report(app_context(), every["start"], every["end"], every["agency"])
            codes.update(r.procedure_code for r in rows)
    elif ontime:
        codes.update(r.procedure_code for r in ontime["rows"])
    return sorted(codes)


@bp.post("/escalations/<int:alert_id>/acknowledge")
@require_roles(Role.SUPERVISOR)
def acknowledge(alert_id: int):
    """The supervisor has seen an escalation: it leaves the list (it stays in the event log)."""
    alert = sla_services.acknowledge_alert(app_context(), alert_id, current_user())
    if request.headers.get("HX-Request"):
        return ""  # htmx removes the row
    flash(_("Đã ghi nhận hồ sơ %(code)s.", code=alert.dossier_code or alert.dossier_id), "success")
    return redirect(url_for(".index"))


@bp.get("/ontime.csv")
@require_roles(Role.SUPERVISOR, Role.ADMIN)
def ontime_csv():
    period = _period(current_user())
    if period["errors"]:
        raise InvalidInput(next(iter(period["errors"].values())), fields=period["errors"])
    rows = sla_services.ontime_report(
        app_context(), period["start"], period["end"], period["agency"], period["procedure"]
    )
    name = f"ontime-{period['start'].isoformat()}-{period['end'].isoformat()}.csv"
    return Response(
        sla_services.report_csv(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


ALERT_KINDS = {
    "sla_reminder": ("Nhắc việc (đã dùng 75 % thời gian)", "Reminder (75 % of the time used)"),
    "sla_overdue": ("Bước xử lý quá hạn", "Step overdue"),
    "sla_apology": ("Cần văn bản xin lỗi", "Apology required"),
    "sla_late": ("Hồ sơ quá hạn", "Dossier overdue"),
}


@bp.app_template_filter("alert_kind")
def alert_kind(kind: str) -> str:
    from .i18n import lang

    vi_en = ALERT_KINDS.get(kind)
    return (vi_en[1] if lang() == "en" else vi_en[0]) if vi_en else kind


def _status_order(item: tuple[str | None, int]) -> int:
    key = item[0]
    return int(key) if key and key.isdigit() else 99
