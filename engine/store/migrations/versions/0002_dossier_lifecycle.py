"""Dossier lifecycle fields: code, national status, reception, appointment and result times.

Revision ID: 0002_dossier_lifecycle
Revises: 0001_core
Create Date: 2026-11-27 15:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_dossier_lifecycle"
down_revision = "0001_core"
branch_labels = None
depends_on = None

_TIMES = ("received_at", "due_at", "finished_at", "returned_at")


def upgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("code", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("status", sa.SmallInteger(), nullable=True))
        batch.add_column(sa.Column("procedure_code", sa.String(length=64), nullable=True))
        for name in _TIMES:
            batch.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))
        batch.create_unique_constraint(batch.f("uq_dossiers_code"), ["code"])
        batch.create_index(batch.f("ix_dossiers_status"), ["status"])
        batch.create_index(batch.f("ix_dossiers_procedure_code"), ["procedure_code"])
        batch.create_index(batch.f("ix_dossiers_received_at"), ["received_at"])
        batch.create_index(batch.f("ix_dossiers_due_at"), ["due_at"])


def downgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        for index in ("due_at", "received_at", "procedure_code", "status"):
            batch.drop_index(batch.f(f"ix_dossiers_{index}"))
        batch.drop_constraint(batch.f("uq_dossiers_code"), type_="unique")
        for name in ("code", "status", "procedure_code", *_TIMES):
            batch.drop_column(name)
