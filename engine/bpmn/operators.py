"""Service-task operators: the Python functions a BPMN service task may call.

A model names an operator and its parameters (``spiffworkflow:serviceTaskOperator``); motcua calls
the registered function with the evaluated parameters and stores its JSON-able result in the task
data. Operators are registered by the wiring at the edge (the population registry plugs in here).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RunContext:
    """Who and what a run of the engine is for; operators read it (for audit, authorisation)."""

    dossier_id: int | None = None
    actor: str | None = None
    agency_code: str | None = None
    procedure_code: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


current_run: ContextVar[RunContext | None] = ContextVar("motcua_current_run", default=None)


@dataclass(frozen=True)
class OperatorCall:
    name: str
    params: dict[str, Any]
    data: Mapping[str, Any]
    context: RunContext


Operator = Callable[[OperatorCall], Any]


class OperatorError(Exception):
    """An operator could not do its work; the task stays in error until an officer retries it."""


@dataclass(frozen=True)
class OperatorInfo:
    name: str
    function: Operator
    description: str = ""


class OperatorRegistry:
    def __init__(self) -> None:
        self._operators: dict[str, OperatorInfo] = {}

    def register(self, name: str, function: Operator, description: str = "") -> None:
        if name in self._operators:
            raise ValueError(f"operator '{name}' is already registered")
        self._operators[name] = OperatorInfo(name, function, description)

    def replace(self, name: str, function: Operator, description: str = "") -> None:
        """Put ``function`` in place of whatever ``name`` was (a test double for an adapter, say)."""
        self._operators[name] = OperatorInfo(name, function, description)

    def names(self) -> frozenset[str]:
        return frozenset(self._operators)

    def describe(self) -> list[OperatorInfo]:
        return [self._operators[n] for n in sorted(self._operators)]

    def call(self, name: str, params: dict[str, Any], data: Mapping[str, Any]) -> Any:
        info = self._operators.get(name)
        if info is None:
            raise OperatorError(f"no operator named '{name}' is registered")
        return info.function(
            OperatorCall(name=name, params=params, data=data, context=current_run.get() or RunContext())
        )


def default_operators() -> OperatorRegistry:
    """Operators every installation has."""
    registry = OperatorRegistry()
    registry.register("echo", lambda call: dict(call.params), "Returns its parameters (for testing models).")
    return registry
