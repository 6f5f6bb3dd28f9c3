"""Fixtures for the catalog tests.

TEST DOUBLES FOR THE POPULATION-REGISTRY PORT. The real ``population.*`` operators (contract 5) are
built by the registry feature and registered by its install call; until then these stand-ins return
the same shapes so the to-be models can be validated and run. They live only here, never in the
application's wiring.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.bpmn.operators import OperatorCall, OperatorRegistry
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
        """Put the doubles in place of any ``population.*`` operator the wiring registered (so the
        statuses stay under the test's control after the registry feature is merged); every other
        operator stays as wired."""
        registry = OperatorRegistry()
        for info in ctx.operators.describe():
            if info.name not in POPULATION_OPERATORS:
                registry.register(info.name, info.function, info.description)
        for name in POPULATION_OPERATORS:
            registry.register(name, self.operator(name), "test double for the population registry")
        ctx.runtime.operators = registry
        ctx.runtime.script_engine.operators = registry


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
