"""The REST API, /api/v1: flask-smorest resources over the use cases, documented as OpenAPI 3 at
/api/v1/openapi.json. Integrations authenticate with bearer tokens (``motcua token create USER``).

``init_api(app, ctx)`` is the one call the app factory makes.
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from engine.context import Context

from . import routes
from .errors import http_error_response, is_api_request
from .schemas import ErrorSchema

API_VERSION = "1.0.0"


class MotcuaApi(Api):
    """flask-smorest's Api whose errors are motcua's ``{"message", "fields"}`` bodies, and only for
    API paths: the web pages keep their own error pages. (Errors raised inside API views are turned
    into responses by each API blueprint's handler, :func:`webui.api.errors.api_error_response`.)"""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        app = self._app

        @app.errorhandler(HTTPException)
        def _http_error(error: HTTPException):
            if not is_api_request():
                return error
            return http_error_response(error)


def init_api(app: Flask, ctx: Context) -> MotcuaApi:
    app.extensions.setdefault("motcua", ctx)
    app.config.setdefault("API_TITLE", "motcua")
    app.config.setdefault("API_VERSION", API_VERSION)
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {
                "description": (
                    "REST API of motcua, the one-stop administrative procedure engine. Every request "
                    "carries `Authorization: Bearer <token>`; the token acts as its officer, whose "
                    "roles and agency apply. Errors are `{message, fields}`."
                )
            },
            "security": [{"bearerAuth": []}],
            "servers": [{"url": "/"}],
        },
    )
    api = MotcuaApi(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "motcua token create USER"}
    )
    for blp in (routes.processes, routes.dossiers, routes.tasks):
        api.register_blueprint(blp)
    api.register_blueprint(routes.escalations)
    api.register_blueprint(routes.simulations)
    return api
