"""Public pages without login: dossier look-up by code and verification of issued documents.

Only what the law lets anyone see: procedure, stage reached, appointment date and status. Unknown
or malformed codes and tokens get a plain "not found" page (404), never a stack trace.
"""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from engine.clock import VIETNAM
from engine.errors import NotFound
from engine.services import dossiers as lifecycle
from engine.services import stamping

bp = Blueprint("public", __name__)


@bp.app_template_filter("vn_time")
def vn_time(moment) -> str:
    """A stored UTC time as Vietnam time, e.g. ``09:00 03/11/2025``."""
    return moment.astimezone(VIETNAM).strftime("%H:%M %d/%m/%Y") if moment else "—"


def _ctx():
    return current_app.extensions["motcua"]


def _not_found(what: str):
    return render_template("public/not_found.html", what=what), 404


@bp.get("/tra-cuu")
def lookup():
    code = (request.args.get("code") or "").strip()
    if not code:
        return render_template("public/lookup.html", status=None, code="")
    try:
        status = lifecycle.public_status(_ctx(), code[:64])
    except NotFound:
        return _not_found("hồ sơ")
    return render_template("public/lookup.html", status=status, code=status.code)


@bp.get("/verify/<path:token>")
def verify(token: str):
    token = token.strip()[:64]
    ctx = _ctx()
    try:
        document = stamping.issued_by_token(ctx, token)
    except NotFound:
        document = None
    try:
        status = lifecycle.public_status(ctx, document.dossier_code if document else token)
    except NotFound:
        if document is None:
            return _not_found("văn bản hoặc hồ sơ")
        status = None
    return render_template("public/verify.html", document=document, status=status)


@bp.get("/xac-thuc")
def verify_form():
    """The sign-in page's "verify a result" box: the code printed under the QR code."""
    token = (request.args.get("token") or "").strip()[:64]
    if not token:
        return redirect(url_for("public.lookup"))
    return redirect(url_for("public.verify", token=token))


def install(app) -> None:
    """Register the public pages and the payment pages (the one call create_app makes)."""
    from .payments import bp as payments_bp

    app.register_blueprint(bp)
    app.register_blueprint(payments_bp)
