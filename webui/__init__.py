"""The web application: officer and designer pages, public pages and the REST API."""

from __future__ import annotations

from flask import Flask, jsonify, render_template

from engine import services
from engine.context import Context


def create_app(ctx: Context | None = None) -> Flask:
    """Application factory; the context is built by :func:`motcua.bootstrap.bootstrap` when not given."""
    if ctx is None:
        from motcua.bootstrap import bootstrap

        ctx = bootstrap()
    app = Flask(__name__)
    app.config["SECRET_KEY"] = ctx.settings.secret_key
    app.extensions["motcua"] = ctx
    from webui.sla import bp as sla_bp  # noqa: I001 - one line per feature

    app.register_blueprint(sla_bp)

    @app.get("/")
    def home():
        return render_template("home.html", processes=services.list_processes(ctx))

    @app.get("/healthz")
    def health():
        with ctx.db.read() as session:
            session.connection().exec_driver_sql("SELECT 1")
        return jsonify(status="ok")

    return app
