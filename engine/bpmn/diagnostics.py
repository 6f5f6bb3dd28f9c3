"""Diagnostics: what validation found in a model, and where."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Diagnostic:
    """One finding. ``code`` is stable and machine-readable; ``message`` is for the designer."""

    code: str
    severity: Severity
    message: str
    element_id: str | None = None
    line: int | None = None
    file: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def to_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.file, self.line) if p is not None)
        element = f" [{self.element_id}]" if self.element_id else ""
        prefix = f"{where}: " if where else ""
        return f"{prefix}{self.severity} {self.code}{element}: {self.message}"


def error(code: str, message: str, **where) -> Diagnostic:
    return Diagnostic(code=code, severity="error", message=message, **where)


def warning(code: str, message: str, **where) -> Diagnostic:
    return Diagnostic(code=code, severity="warning", message=message, **where)


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)
