"""Signing in and out, the signed-in officer, and role checks other blueprints use.

``current_user()`` is the officer of this request (or None); ``require_roles(*roles)`` guards a view:
anonymous visitors go to the sign-in page, officers without one of the roles get 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from engine import services
from engine.context import Context
from engine.errors import InvalidInput, NotFound
from engine.roles import Role
from engine.services.accounts import AccountLocked, change_password, sign_in
from engine.views import UserView

bp = Blueprint("auth", __name__)

#: Roles that work on dossiers and see the inbox.
OFFICER_ROLES = (Role.INTAKE_OFFICER, Role.APPRAISER, Role.APPROVER, Role.CLERK, Role.SUPERVISOR)


def app_context() -> Context:
    return current_app.extensions["motcua"]


def current_user() -> UserView | None:
    """The signed-in, active officer of this request, or None."""
    if "user" in g:
        return g.user
    user = None
    username = session.get("username")
    if username:
        try:
            user = services.get_user(app_context(), username)
        except NotFound:
            user = None
        if user is not None and (not user.active or user.id != session.get("user_id")):
            user = None
        if user is None:
            session.clear()
    g.user = user
    return user


def has_any_role(user: UserView | None, *roles: str) -> bool:
    return user is not None and (not roles or any(r in user.roles for r in roles))


def require_roles(*roles: str) -> Callable:
    """Decorator: sign-in required, and (when roles are given) at least one of them."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any):
            user = current_user()
            if user is None:
                if request.method == "GET" and not request.headers.get("HX-Request"):
                    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
                abort(401)
            if roles and not has_any_role(user, *roles):
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorate


def landing_page(user: UserView) -> str:
    """Where an officer starts: the inbox for case workers, else the page of their main role."""
    if has_any_role(user, *OFFICER_ROLES):
        return url_for("officer.inbox")
    if has_any_role(user, Role.DESIGNER):
        return url_for("designer.index")
    if has_any_role(user, Role.REFORM_ANALYST):
        return url_for("analyst.index")
    if has_any_role(user, Role.ADMIN):
        return url_for("admin.index")
    return url_for("auth.login")


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site, else None (no open redirects)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        try:
            user = sign_in(app_context(), username, password)
        except AccountLocked as exc:
            user, error = None, exc.message
        else:
            if user is None:
                error = _("Tên đăng nhập hoặc mật khẩu không đúng.")
        if user is not None:
            lang = session.get("lang")
            session.clear()  # a new session on sign-in: no fixation
            session.permanent = True
            session.update(user_id=user.id, username=user.username)
            if lang:
                session["lang"] = lang
            flash(_("Xin chào, %(name)s.", name=user.full_name), "success")
            return redirect(safe_next(request.args.get("next")) or landing_page(user))
    status = 401 if error else 200
    return render_template("auth/login.html", error=error, username=username), status


@bp.post("/logout")
def logout():
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@require_roles()
def account():
    """The signed-in officer's own account: who they are, and changing their password."""
    user = current_user()
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            change_password(
                app_context(),
                user,
                request.form.get("current_password", ""),
                request.form.get("new_password", ""),
            )
        except InvalidInput as exc:
            errors = exc.details.get("fields") or {}
        else:
            flash(_("Đã đổi mật khẩu."), "success")
            return redirect(url_for(".account"))
    return render_template("auth/account.html", user=user, errors=errors), 422 if errors else 200
