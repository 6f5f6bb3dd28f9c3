"""Expected failures become pages with the right status; htmx requests get a short fragment."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from engine.errors import Conflict, InvalidInput, MotcuaError, NotFound, PermissionDenied

from .api.errors import error_body, is_api_request

STATUS = {NotFound: 404, PermissionDenied: 403, Conflict: 409, InvalidInput: 422}


def status_of(exc: MotcuaError) -> int:
    for cls, status in STATUS.items():
        if isinstance(exc, cls):
            return status
    return 400


def render_problem(status: int, title: str, message: str):
    if is_api_request():  # API clients get the API's JSON errors, even for unknown URLs
        return jsonify(error_body(status, message)), status
    if request.headers.get("HX-Request"):
        return render_template("_problem.html", title=title, message=message), status
    return render_template("error.html", status=status, title=title, message=message), status


def install_error_handlers(app: Flask) -> None:
    @app.errorhandler(MotcuaError)
    def motcua_error(exc: MotcuaError):
        status = status_of(exc)
        titles = {
            404: _("Không tìm thấy"),
            403: _("Không có quyền"),
            409: _("Xung đột"),
            422: _("Dữ liệu chưa hợp lệ"),
        }
        return render_problem(status, titles.get(status, _("Không thực hiện được")), exc.message)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return render_problem(
            400,
            _("Phiên làm việc đã hết hạn"),
            _("Biểu mẫu thiếu mã bảo vệ CSRF hoặc mã đã hết hạn. Vui lòng tải lại trang và thử lại."),
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return render_problem(exc.code or 500, exc.name, exc.description or "")

    @app.errorhandler(500)
    def server_error(exc):
        # A bug: say so plainly; the traceback is in the server log, never on the page.
        return render_problem(
            500,
            _("Lỗi hệ thống"),
            _("Đã có lỗi ngoài dự kiến; thao tác có thể chưa được lưu. Vui lòng thử lại hoặc báo quản trị."),
        )
