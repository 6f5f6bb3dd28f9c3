"""Administration: agencies, officers and their roles."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine import services
from engine.errors import Conflict, InvalidInput, NotFound
from engine.roles import Role
from engine.services.accounts import update_user

from .auth import app_context, current_user, require_roles

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _page(errors=None, form=None, status=200):
    ctx = app_context()
    return render_template(
        "admin/index.html",
        agencies=services.list_agencies(ctx),
        users=services.list_users(ctx),
        roles=list(Role),
        errors=errors or {},
        form=form or {},
        user=current_user(),
    ), status


@bp.get("/")
@require_roles(Role.ADMIN)
def index():
    return _page()


@bp.post("/agencies")
@require_roles(Role.ADMIN)
def create_agency():
    form = request.form
    try:
        agency = services.create_agency(
            app_context(),
            form.get("code", ""),
            form.get("name", "").strip(),
            form.get("name_en", "").strip() or None,
            form.get("level", "commune"),
        )
    except (InvalidInput, Conflict) as exc:
        flash(exc.message, "error")
        return _page(exc.details.get("fields"), form, 422)
    flash(_("Đã thêm cơ quan %(code)s.", code=agency.code), "success")
    return redirect(url_for(".index"))


@bp.post("/users")
@require_roles(Role.ADMIN)
def create_user():
    form = request.form
    try:
        user = services.create_user(
            app_context(),
            form.get("username", ""),
            form.get("full_name", "").strip(),
            form.get("agency", ""),
            form.getlist("roles"),
            form.get("password") or None,
        )
    except (InvalidInput, Conflict, NotFound) as exc:
        flash(exc.message, "error")
        return _page(exc.details.get("fields"), form, 422)
    flash(_("Đã tạo tài khoản %(name)s.", name=user.username), "success")
    return redirect(url_for(".index"))


@bp.route("/users/<username>", methods=["GET", "POST"])
@require_roles(Role.ADMIN)
def edit_user(username: str):
    ctx = app_context()
    officer = services.get_user(ctx, username)
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.form
        try:
            officer = update_user(
                ctx,
                username,
                form.getlist("roles"),
                form.get("active") == "on",
                actor=current_user(),
                password=form.get("password") or None,
            )
        except InvalidInput as exc:
            flash(exc.message, "error")
            errors = exc.details.get("fields") or {}
        else:
            flash(_("Đã lưu tài khoản %(name)s.", name=username), "success")
            return redirect(url_for(".index"))
    status = 422 if errors else 200
    return render_template(
        "admin/user.html", officer=officer, roles=list(Role), errors=errors, user=current_user()
    ), status
