"""Administration of the working calendar: the year's public holidays (computed, lunar ones
included) and the swapped working days / extra days off, which admins edit (SLA use cases)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.errors import InvalidInput, NotFound, PermissionDenied
from engine.roles import Role
from engine.services import sla as sla_services

from .auth import app_context, current_user, require_roles

bp = Blueprint("holidays", __name__, url_prefix="/admin/calendar")

MIN_YEAR, MAX_YEAR = 2000, 2100


def _year(raw: str | None) -> int:
    try:
        year = int(raw) if raw else app_context().now().year
    except ValueError:
        year = app_context().now().year
    return min(max(year, MIN_YEAR), MAX_YEAR)


def _page(year: int, errors=None, form=None, status: int = 200):
    ctx = app_context()
    return render_template(
        "holidays/index.html",
        year=year,
        overrides=sla_services.list_overrides(ctx, year),
        days=sla_services.calendar_year(ctx, year),
        errors=errors or {},
        form=form or {},
        user=current_user(),
    ), status


@bp.get("/")
@require_roles(Role.ADMIN)
def index():
    return _page(_year(request.args.get("year")))


@bp.post("/")
@require_roles(Role.ADMIN)
def add():
    form = request.form
    year = _year(form.get("year"))
    errors: dict[str, str] = {}
    day = None
    raw = (form.get("day") or "").strip()
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        errors["day"] = _("Nhập ngày hợp lệ (ví dụ 2026-05-02).") if raw else _("Chọn ngày.")
    if day is not None and not MIN_YEAR <= day.year <= MAX_YEAR:
        errors["day"] = _("Năm phải trong khoảng %(low)s–%(high)s.", low=MIN_YEAR, high=MAX_YEAR)
    kind = form.get("kind", "")
    if kind not in ("off", "working"):
        errors["kind"] = _("Chọn ngày nghỉ hoặc ngày làm việc bù.")
    note = (form.get("note") or "").strip()
    if len(note) > 200:
        errors["note"] = _("Ghi chú tối đa 200 ký tự.")
    if not errors and day is not None:
        try:
            sla_services.add_override(app_context(), day, kind, note, current_user())
        except (InvalidInput, PermissionDenied) as exc:
            errors.update(exc.details.get("fields") or {"day": exc.message})
    if errors:
        return _page(year, errors, form, 422)
    flash(_("Đã lưu ngày %(day)s.", day=day.strftime("%d/%m/%Y")), "success")
    return redirect(url_for(".index", year=day.year))


@bp.post("/<day>/delete")
@require_roles(Role.ADMIN)
def remove(day: str):
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        raise NotFound(_("Không có ngày %(day)s trong bảng.", day=day[:20])) from None
    sla_services.remove_override(app_context(), parsed, current_user())
    flash(_("Đã xóa ngày %(day)s khỏi bảng.", day=parsed.strftime("%d/%m/%Y")), "success")
    return redirect(url_for(".index", year=parsed.year))


WEEKDAYS = (
    ("Thứ Hai", "Monday"), ("Thứ Ba", "Tuesday"), ("Thứ Tư", "Wednesday"), ("Thứ Năm", "Thursday"),
    ("Thứ Sáu", "Friday"), ("Thứ Bảy", "Saturday"), ("Chủ nhật", "Sunday"),
)  # fmt: skip


@bp.app_template_filter("weekday_label")
def weekday_label(day: date) -> str:
    from .i18n import lang

    vi, en = WEEKDAYS[day.weekday()]
    return en if lang() == "en" else vi
