"""Bearer-token authentication: every API request acts as the officer its token belongs to."""

from __future__ import annotations

from flask import current_app, g, request
from flask_smorest import abort

from engine.services import tokens
from engine.views import UserView


def authenticate() -> None:
    """``before_request`` of every API blueprint: a missing, unknown or revoked token is a 401."""
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        abort(401, message="Thiếu mã truy cập (Authorization: Bearer ...). / A bearer token is required.")
    user = tokens.authenticate_token(current_app.extensions["motcua"], secret.strip())
    if user is None:
        abort(
            401,
            message="Mã truy cập không hợp lệ hoặc đã bị thu hồi. / The token is unknown or revoked.",
        )
    g.api_user = user


def current_user() -> UserView:
    return g.api_user
