"""SLA: the yearly calendar table and the alerts raised by SLA timers.

Revision ID: 0003_sla
Revises: 0002_dossier_lifecycle
Create Date: 2026-11-27 15:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_sla"
down_revision = "0002_dossier_lifecycle"
branch_labels = None
depends_on = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "calendar_overrides",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("note", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_overrides")),
    )
    op.create_table(
        "sla_alerts",
        sa.Column("id", _BIG, autoincrement=True, nullable=False),
        sa.Column("timer_id", _BIG, nullable=True),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=True),
        sa.Column("recipient_role", sa.String(length=64), nullable=True),
        sa.Column("bpmn_id", sa.String(length=255), nullable=True),
        sa.Column("label", sa.String(length=255), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_sla_alerts_dossier_id_dossiers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_sla_alerts_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["users.id"], name=op.f("fk_sla_alerts_recipient_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_id"], ["users.id"], name=op.f("fk_sla_alerts_acknowledged_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_alerts")),
        sa.UniqueConstraint("timer_id", name=op.f("uq_sla_alerts_timer_id")),
    )
    op.create_index(op.f("ix_sla_alerts_dossier_id"), "sla_alerts", ["dossier_id"])
    op.create_index(op.f("ix_sla_alerts_recipient_id"), "sla_alerts", ["recipient_id"])
    op.create_index("ix_sla_alerts_inbox", "sla_alerts", ["agency_id", "recipient_role", "acknowledged_at"])


def downgrade() -> None:
    op.drop_index("ix_sla_alerts_inbox", table_name="sla_alerts")
    op.drop_index(op.f("ix_sla_alerts_recipient_id"), table_name="sla_alerts")
    op.drop_index(op.f("ix_sla_alerts_dossier_id"), table_name="sla_alerts")
    op.drop_table("sla_alerts")
    op.drop_table("calendar_overrides")
