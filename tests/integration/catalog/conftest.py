"""Fixtures for the catalog tests.

Test doubles for the population-registry port: the catalog tests decide each look-up's outcome
(match, mismatch, not found, deceased, unavailable) with stand-ins that answer in the operators' shapes,
put in place of the real ``population.*`` operators. The registry's own tests exercise the real ones.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.bpmn.operators import OperatorCall
from engine.config import PROJECT_ROOT
from engine.context import Context

PROCESSES = PROJECT_ROOT / "processes"
FORMS = PROJECT_ROOT / "forms"
POPULATION_OPERATORS = (
    "population.lookup",
    "population.marital_status",
    "population.household",
    "population.parents",
    "population.residence",
)
STATUSES = ("match", "mismatch", "not_found", "deceased", "unavailable")


class RegistryDouble:
    """Answers every look-up with "match" unless a test set another status for an ID number."""

    def __init__(self) -> None:
        self.outcomes: dict[str, str] = {}
        self.calls: list[OperatorCall] = []

    def operator(self, name: str) -> Callable[[OperatorCall], dict]:
        def answer(call: OperatorCall) -> dict:
            self.calls.append(call)
            params = call.params
            status = self.outcomes.get(str(params.get("id_number")), "match")
            person = (
                {
                    "id_number": params.get("id_number"),
                    "full_name": params.get("full_name"),
                    "date_of_birth": params.get("date_of_birth"),
                }
                if status in ("match", "deceased")
                else None
            )
            result = {
                "status": status,
                "reason": None if status == "match" else f"registry double: {status}",
                "request_id": uuid.uuid4().hex,
                "source": "population_registry",
                "person": person,
            }
            if name == "population.marital_status":
                result |= {"marital_status": "single", "spouse_id_number": None}
            elif name == "population.household":
                result["household"] = {"head_id_number": params.get("id_number"), "members": []}
            elif name == "population.parents":
                result |= {"father": None, "mother": None}
            elif name == "population.residence":
                result |= {"permanent_residence": "Hà Nội", "current_residence": "Hà Nội"}
            return result

        return answer

    def install(self, ctx: Context) -> None:
        """Put the doubles in place of the ``population.*`` operators the wiring registered, so the
        look-up statuses are the test's; every other operator stays as wired."""
        for name in POPULATION_OPERATORS:
            ctx.operators.replace(name, self.operator(name), "test double for the population registry")


@pytest.fixture
def registry() -> RegistryDouble:
    return RegistryDouble()


@pytest.fixture
def ctx(make_context, database_url, registry) -> Context:
    """The shared context (SQLite and PostgreSQL) with the registry doubles; forms from forms/."""
    context = make_context(database_url, forms_dir=FORMS)
    registry.install(context)
    return context


def catalog_paths() -> list[Path]:
    return sorted(PROCESSES.glob("*/*.bpmn"))
