"""The supervisor's dashboard: where work piles up, per procedure, stage and state, as charts."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext as _

from engine.roles import Role, Stage
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
    return render_template(
        "dashboard/index.html",
        figures=figures,
        charts=charts,
        totals=totals,
        statuses=statuses,
        overdue=overdue_tasks(app_context(), user),
        now=app_context().now(),
        user=user,
    )


def _status_order(item: tuple[str | None, int]) -> int:
    key = item[0]
    return int(key) if key and key.isdigit() else 99
