"""Dossier lifecycle: code sequences, status and clock history, fees, payments, keys, documents.

Revision ID: 0003_lifecycle
Revises: 0002_dossier_lifecycle
Create Date: 2026-11-27 15:12:46.137491
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003_lifecycle"
down_revision = "0002_dossier_lifecycle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payment_notifications",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("gateway", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=True),
        sa.Column(
            "params",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_notifications")),
    )
    with op.batch_alter_table("payment_notifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_notifications_received_at"), ["received_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_payment_notifications_reference"), ["reference"], unique=False)

    op.create_table(
        "agency_keys",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("key_pem", sa.LargeBinary(), nullable=False),
        sa.Column("certificate_pem", sa.LargeBinary(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_agency_keys_agency_id_agencies"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("agency_id", name=op.f("pk_agency_keys")),
    )
    op.create_table(
        "dossier_sequences",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=6), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_dossier_sequences_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("agency_id", "day", name=op.f("pk_dossier_sequences")),
    )
    op.create_table(
        "dossier_clock_history",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("policy", sa.String(length=16), nullable=True),
        sa.Column("due_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_after", sa.DateTime(timezone=True), nullable=True),
        sa.Column("remaining_hours", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_dossier_clock_history_dossier_id_dossiers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_clock_history")),
    )
    with op.batch_alter_table("dossier_clock_history", schema=None) as batch_op:
        batch_op.create_index("ix_dossier_clock_history_dossier", ["dossier_id", "id"], unique=False)

    op.create_table(
        "dossier_lifecycles",
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("rule_set", sa.String(length=32), nullable=True),
        sa.Column("limit_amount", sa.Float(), nullable=True),
        sa.Column("limit_unit", sa.String(length=16), nullable=True),
        sa.Column("supplement_policy", sa.String(length=8), nullable=False),
        sa.Column("clock_paused_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("clock_remaining_hours", sa.Float(), nullable=True),
        sa.Column("original_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("apology_count", sa.SmallInteger(), nullable=False),
        sa.Column("apology_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("apology_reason", sa.Text(), nullable=True),
        sa.Column(
            "reasons",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "requested_documents",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("closed_reason", sa.Text(), nullable=True),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.Column("return_channel", sa.String(length=16), nullable=True),
        sa.Column("fee_amount_vnd", sa.BigInteger(), nullable=True),
        sa.Column("payment_status", sa.String(length=16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_dossier_lifecycles_dossier_id_dossiers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("dossier_id", name=op.f("pk_dossier_lifecycles")),
    )
    op.create_table(
        "dossier_status_history",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("previous", sa.SmallInteger(), nullable=True),
        sa.Column("cause", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=True),
        sa.Column("element", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_dossier_status_history_dossier_id_dossiers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_status_history")),
    )
    with op.batch_alter_table("dossier_status_history", schema=None) as batch_op:
        batch_op.create_index("ix_dossier_status_history_dossier", ["dossier_id", "id"], unique=False)

    op.create_table(
        "issued_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("signed", sa.Boolean(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_issued_documents_dossier_id_dossiers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_documents")),
        sa.UniqueConstraint("token", name=op.f("uq_issued_documents_token")),
    )
    with op.batch_alter_table("issued_documents", schema=None) as batch_op:
        batch_op.create_index("ix_issued_documents_dossier", ["dossier_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_issued_documents_sha256"), ["sha256"], unique=False)

    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("gateway", sa.String(length=32), nullable=True),
        sa.Column("amount_vnd", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("settled_for", sa.Integer(), nullable=True),
        sa.Column("gateway_transaction", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossiers.id"], name=op.f("fk_payments_dossier_id_dossiers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("reference", name=op.f("uq_payments_reference")),
        sa.UniqueConstraint("settled_for", name=op.f("uq_payments_settled_for")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_dossier_id"), ["dossier_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_dossier_id"))

    op.drop_table("payments")
    with op.batch_alter_table("issued_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issued_documents_sha256"))
        batch_op.drop_index("ix_issued_documents_dossier")

    op.drop_table("issued_documents")
    with op.batch_alter_table("dossier_status_history", schema=None) as batch_op:
        batch_op.drop_index("ix_dossier_status_history_dossier")

    op.drop_table("dossier_status_history")
    op.drop_table("dossier_lifecycles")
    with op.batch_alter_table("dossier_clock_history", schema=None) as batch_op:
        batch_op.drop_index("ix_dossier_clock_history_dossier")

    op.drop_table("dossier_clock_history")
    op.drop_table("dossier_sequences")
    op.drop_table("agency_keys")
    with op.batch_alter_table("payment_notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_notifications_reference"))
        batch_op.drop_index(batch_op.f("ix_payment_notifications_received_at"))

    op.drop_table("payment_notifications")
