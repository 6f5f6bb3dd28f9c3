"""Errors a user of motcua can cause, each with a message that names the problem.

Every use case raises one of these (or lets a bug surface as itself); the edges map them to exit
codes, HTTP status codes and flash messages.
"""

from __future__ import annotations

from typing import Any


class MotcuaError(Exception):
    """Base class: an expected failure with a user-facing message."""

    code = "error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(MotcuaError):
    code = "not_found"


class InvalidInput(MotcuaError):
    """Input that fails validation; ``details['fields']`` maps field names to messages when known."""

    code = "invalid_input"


class PermissionDenied(MotcuaError):
    code = "permission_denied"


class Conflict(MotcuaError):
    """The thing changed under the caller (another officer acted first); nothing was written."""

    code = "conflict"


class DeploymentRejected(MotcuaError):
    """A model failed validation; ``diagnostics`` says where and why."""

    code = "deployment_rejected"

    def __init__(self, message: str, diagnostics: list) -> None:
        super().__init__(message, diagnostics=diagnostics)
        self.diagnostics = diagnostics


class ProcessError(MotcuaError):
    """The process itself failed while running (a script, an operator, an engine limit)."""

    code = "process_error"
