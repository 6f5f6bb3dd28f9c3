"""The web application: officer and designer pages, public pages and the REST API."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, jsonify, redirect, request, session, url_for

from engine.context import Context
from webui.api import init_api

from . import i18n, public, registry_api
from .errors import install_error_handlers

#: Session cookies are marked Secure unless MOTCUA_INSECURE_COOKIES=1 (local http demo).
SESSION_HOURS = 10


def create_app(ctx: Context | None = None, config: dict | None = None) -> Flask:
    """Application factory; the context is built by :func:`motcua.bootstrap.bootstrap` when not given."""
    if ctx is None:
        from motcua.bootstrap import bootstrap

        ctx = bootstrap()
    app = Flask(__name__)
    insecure = ctx.settings.extra.get("MOTCUA_INSECURE_COOKIES", "") in ("1", "true", "yes")
    app.config.update(
        SECRET_KEY=ctx.settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=not insecure,
        SESSION_COOKIE_NAME="motcua_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
        MAX_CONTENT_LENGTH=ctx.settings.max_upload_bytes * 4,
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.config.update(config or {})
    app.extensions["motcua"] = ctx
    public.install(app)
    app.register_blueprint(registry_api.bp)
    init_api(app, ctx)

    from flask_wtf.csrf import CSRFProtect

    csrf = CSRFProtect(app)
    # The API (bearer tokens), the registry API (agency keys) and the payment gateway's callbacks
    # (signed parameters) carry no session cookie, so a CSRF token means nothing to them.
    for blueprint in app.blueprints.values():
        if (blueprint.url_prefix or "").startswith(("/api/", "/registry/")) or blueprint.name == "payments":
            csrf.exempt(blueprint)
    i18n.init_app(app)
    install_error_handlers(app)

    from . import admin, analyst, auth, dashboard, designer, holidays, officer

    app.jinja_env.globals.update(current_user=auth.current_user, has_any_role=auth.has_any_role)
    app.register_blueprint(auth.bp)
    app.register_blueprint(officer.bp)
    app.register_blueprint(designer.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(analyst.bp)
    app.register_blueprint(holidays.bp)
    # Other features register their blueprints here, one line each.

    @app.get("/")
    def home():
        user = auth.current_user()
        if user is None:
            return redirect(url_for("auth.login"))
        return redirect(auth.landing_page(user))

    @app.post("/lang/<code>")
    def set_language(code: str):
        if code in i18n.LANGUAGES:
            session["lang"] = code
        target = request.form.get("next") or request.referrer or url_for("home")
        return redirect(target if target.startswith("/") and not target.startswith("//") else "/")

    @app.get("/healthz")
    def health():
        with ctx.db.read() as s:
            s.connection().exec_driver_sql("SELECT 1")
        return jsonify(status="ok")

    return app
