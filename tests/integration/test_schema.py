"""The migrations build exactly the schema the models describe, and the event log is append-only."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from engine import services
from engine.store.migrate import current_revisions, head_revisions
from engine.store.models import Event
from engine.store.schema import metadata
from tests.conftest import AGENCY, fixture_file


def test_migrations_match_the_models(ctx):
    with ctx.db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == []
    assert current_revisions(ctx.db.engine) == head_revisions()


@pytest.mark.parametrize("statement", ["UPDATE events SET actor = 'forger'", "DELETE FROM events"])
def test_the_event_log_refuses_updates_and_deletes(ctx, officers, statement):
    services.deploy(ctx, [fixture_file("five_stage.bpmn")])
    dossier = services.submit_dossier(ctx, "five_stage", AGENCY, {"exempt": True}, officers["intake"])
    with ctx.db.read() as s:
        before = s.scalar(select(func.count()).select_from(Event).where(Event.dossier_id == dossier.id))
    with pytest.raises(DBAPIError, match="append-only"), ctx.db.transaction() as s:
        s.execute(text(statement))
    with ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Event).where(Event.actor == "forger")) == 0
        assert (
            s.scalar(select(func.count()).select_from(Event).where(Event.dossier_id == dossier.id)) == before
        )
