"""The web application: officer and designer pages, public pages and the REST API."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, jsonify, redirect, request, session, url_for
from flask_wtf.csrf import CSRFProtect

from engine.context import Context
from webui.api import init_api

from . import i18n, public, registry_api, sla
from .errors import install_error_handlers

#: CSRF protection for every POST. A blueprint whose clients authenticate with bearer tokens instead of
#: the session cookie (the REST API, payment callbacks) opts out with ``csrf.exempt(bp)``.
csrf = CSRFProtect()

#: Session cookies are marked Secure unless MOTCUA_INSECURE_COOKIES=1 (local http demo).
SESSION_HOURS = 10
#: Scripts only from this site (no inline scripts: data travels in JSON blocks); inline styles are
#: allowed because bpmn-js and chart.js set them.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


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

    # The API (bearer tokens), the registry API (agency keys) and the payment gateway's callbacks
    # (signed parameters) carry no session cookie, so a CSRF token means nothing to them.
    for blueprint in app.blueprints.values():
        if (blueprint.url_prefix or "").startswith(("/api/", "/registry/")) or blueprint.name == "payments":
            csrf.exempt(blueprint)
    csrf.init_app(app)
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
    app.register_blueprint(sla.bp)
    app.register_blueprint(holidays.bp)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

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
        return redirect(auth.safe_next(request.form.get("next")) or url_for("home"))

    @app.get("/healthz")
    def health():
        with ctx.db.read() as s:
            s.connection().exec_driver_sql("SELECT 1")
        return jsonify(status="ok")

    return app
