"""The one place where engine errors and HTTP failures become JSON responses.

Every error body is ``{"message": str, "fields": {field: message}}`` (plus ``diagnostics`` when a
deployment is rejected). A 500 is a bug: it is logged with its traceback and answered with a generic
message that leaks nothing.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from engine.errors import (
    Conflict,
    DeploymentRejected,
    InvalidInput,
    MotcuaError,
    NotFound,
    PermissionDenied,
    ProcessError,
)

API_PREFIX = "/api/"

# Most specific first: the first class an error is an instance of decides its status.
STATUS_FOR_ERROR: tuple[tuple[type[MotcuaError], int], ...] = (
    (DeploymentRejected, 422),
    (InvalidInput, 422),
    (NotFound, 404),
    (PermissionDenied, 403),
    (Conflict, 409),
    (ProcessError, 422),
    (MotcuaError, 400),
)

_DEFAULT_MESSAGES = {
    400: "Yêu cầu không hợp lệ. / The request is malformed.",
    401: "Cần mã truy cập hợp lệ (Authorization: Bearer ...). / A valid bearer token is required.",
    403: "Bạn không có quyền làm việc này. / You may not do this.",
    404: "Không tìm thấy. / Not found.",
    405: "Phương thức không được hỗ trợ. / Method not allowed.",
    409: "Xung đột với trạng thái hiện tại. / Conflicts with the current state.",
    413: "Tệp tải lên quá lớn. / The upload is too large.",
    415: "Kiểu nội dung không được hỗ trợ. / Unsupported content type.",
    422: "Dữ liệu chưa hợp lệ. / Some fields need attention.",
    500: "Lỗi hệ thống; sự cố đã được ghi lại. / Internal error; it has been logged.",
}


def status_for(error: MotcuaError) -> int:
    for cls, status in STATUS_FOR_ERROR:
        if isinstance(error, cls):
            return status
    return 400


def error_body(status: int, message: str | None = None, fields: dict[str, Any] | None = None) -> dict:
    return {"message": message or _DEFAULT_MESSAGES.get(status, "Error."), "fields": fields or {}}


def engine_error_response(error: MotcuaError):
    status = status_for(error)
    body = error_body(status, error.message, _stringify(error.details.get("fields") or {}))
    if isinstance(error, DeploymentRejected):
        body["diagnostics"] = [d.to_dict() for d in error.diagnostics]
    return jsonify(body), status


def http_error_response(error: HTTPException):
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    fields = flatten_messages(data.get("errors") or data.get("messages") or {})
    message = data.get("message")
    if message is None and status == 400 and fields:
        message = "Thân yêu cầu không phải JSON hợp lệ. / The request body is not valid JSON."
    response = jsonify(error_body(status, message, fields))
    response.status_code = status
    headers = dict(data.get("headers") or {})
    if status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="motcua"')
    if status == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        headers.setdefault("Allow", ", ".join(error.valid_methods))
    response.headers.update(headers)
    return response


def internal_error_response(error: BaseException):
    current_app.logger.exception("API request %s %s failed", request.method, request.path, exc_info=error)
    return jsonify(error_body(500)), 500


def flatten_messages(messages: Any) -> dict[str, str]:
    """webargs/marshmallow messages (``{"json": {"data": {"x": ["..."]}}}``) as ``{"data.x": "..."}``."""
    if isinstance(messages, dict) and messages and set(messages) <= _LOCATIONS:
        # the request part (json, query, files, ...) is noise for the caller
        out: dict[str, str] = {}
        for value in messages.values():
            out.update(_flatten(value, ""))
        return out
    return _flatten(messages, "")


def _flatten(messages: Any, prefix: str) -> dict[str, str]:
    out: dict[str, str] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(messages, list | tuple):
        texts = [m for m in messages if isinstance(m, str)]
        if texts:
            out[prefix or "_request"] = " ".join(texts)
        for item in messages:
            if not isinstance(item, str):
                out.update(_flatten(item, prefix))
    elif messages is not None:
        out[prefix or "_request"] = str(messages)
    return out


_LOCATIONS = {"json", "query", "querystring", "files", "form", "headers", "path", "view_args", "json_or_form"}


def _stringify(fields: dict) -> dict[str, str]:
    return {str(k): v if isinstance(v, str) else str(v) for k, v in fields.items()}


def api_error_response(error: Exception):
    """The handler of every API blueprint: engine errors, HTTP errors and bugs, as JSON."""
    if isinstance(error, MotcuaError):
        return engine_error_response(error)
    if isinstance(error, HTTPException):
        return http_error_response(error)
    return internal_error_response(error)


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)
