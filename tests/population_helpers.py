"""Helpers for the population registry tests: a small seeded registry and people picked from it."""

from __future__ import annotations

from sqlalchemy import select

from engine import services
from engine.bpmn.validation import SourceFile
from engine.services import population
from engine.store.registry_tables import RegistryCitizen
from tests.conftest import FIXTURES

FIXTURE = FIXTURES / "bpmn" / "registry_lookup.bpmn"
PROCESS = "marriage_registration_to_be"


def seed_small(ctx, citizens: int = 800, seed: int = 7):
    return population.seed_population(ctx, citizens, seed)


def deploy_lookup_fixture(ctx, procedure: str = "marriage_registration") -> str:
    """The fixture process, deployed under the id of ``procedure``'s to-be model."""
    process_id = f"{procedure}_to_be"
    content = FIXTURE.read_bytes().replace(PROCESS.encode(), process_id.encode())
    services.deploy(ctx, [SourceFile(f"{process_id}.bpmn", content)])
    return process_id


def person(ctx, *criteria) -> dict:
    """The identity of the first citizen matching ``criteria`` (SQLAlchemy expressions)."""
    with ctx.db.read() as s:
        row = s.scalars(select(RegistryCitizen).where(*criteria).order_by(RegistryCitizen.id_number)).first()
        assert row is not None, "the seeded registry has nobody like that"
        return {
            "applicant_id_number": row.id_number,
            "applicant_name": row.full_name,
            "applicant_date_of_birth": row.date_of_birth.isoformat(),
            "_row": {
                "spouse_id_number": row.spouse_id_number,
                "father_id_number": row.father_id_number,
                "mother_id_number": row.mother_id_number,
                "household_id": row.household_id,
                "marital_status": row.marital_status,
            },
        }


def identity(p: dict) -> dict:
    return {k: v for k, v in p.items() if not k.startswith("_")}


def alive():
    return RegistryCitizen.date_of_death.is_(None)
