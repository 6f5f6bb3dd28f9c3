"""Population registry: citizens, households, agency API keys, the look-up audit and evidence.

Revision ID: 0005_registry
Revises: 0002_dossier_lifecycle
Create Date: 2026-11-27 15:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_registry"
down_revision = "0002_dossier_lifecycle"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "registry_households",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("file_number", sa.String(length=20), nullable=False),
        sa.Column("head_id_number", sa.String(length=12), nullable=True),
        sa.Column("province_code", sa.String(length=3), nullable=False),
        sa.Column("address", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_households")),
        sa.UniqueConstraint("file_number", name=op.f("uq_registry_households_file_number")),
    )
    op.create_table(
        "registry_citizens",
        sa.Column("id_number", sa.String(length=12), nullable=False),
        sa.Column("full_name", sa.String(length=120), nullable=False),
        sa.Column("other_names", sa.String(length=120), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("place_of_birth", sa.String(length=255), nullable=True),
        sa.Column("birth_registration_province", sa.String(length=3), nullable=False),
        sa.Column("home_town", sa.String(length=255), nullable=True),
        sa.Column("ethnicity", sa.String(length=32), nullable=False),
        sa.Column("religion", sa.String(length=32), nullable=True),
        sa.Column("nationality", sa.String(length=2), nullable=False),
        sa.Column("blood_group", sa.String(length=3), nullable=True),
        sa.Column("old_id_number", sa.String(length=9), nullable=True),
        sa.Column("id_card_issued_on", sa.Date(), nullable=True),
        sa.Column("father_id_number", sa.String(length=12), nullable=True),
        sa.Column("mother_id_number", sa.String(length=12), nullable=True),
        sa.Column("spouse_id_number", sa.String(length=12), nullable=True),
        sa.Column("representative_id_number", sa.String(length=12), nullable=True),
        sa.Column("marital_status", sa.String(length=10), nullable=False),
        sa.Column("household_id", _BIG_ID, nullable=True),
        sa.Column("relationship_to_head", sa.String(length=12), nullable=True),
        sa.Column("permanent_residence", sa.String(length=255), nullable=True),
        sa.Column("temporary_residence", sa.String(length=255), nullable=True),
        sa.Column("current_residence", sa.String(length=255), nullable=True),
        sa.Column("temporarily_absent", sa.Boolean(), nullable=False),
        sa.Column("date_of_death", sa.Date(), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("id_number", name=op.f("pk_registry_citizens")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_registry_citizens_household", "registry_citizens", ["household_id"])
    op.create_index("ix_registry_citizens_father", "registry_citizens", ["father_id_number"])
    op.create_index("ix_registry_citizens_mother", "registry_citizens", ["mother_id_number"])
    op.create_table(
        "registry_api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_code", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_registry_api_keys_key_hash")),
    )
    op.create_index(op.f("ix_registry_api_keys_agency_code"), "registry_api_keys", ["agency_code"])
    op.create_table(
        "registry_lookups",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("officer", sa.String(length=64), nullable=True),
        sa.Column("agency_code", sa.String(length=64), nullable=True),
        sa.Column("dossier_id", sa.Integer(), nullable=True),
        sa.Column("procedure_code", sa.String(length=64), nullable=True),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("document", sa.String(length=64), nullable=True),
        sa.Column("subject_id_number", sa.String(length=12), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_lookups")),
    )
    op.create_index(op.f("ix_registry_lookups_at"), "registry_lookups", ["at"])
    op.create_index(op.f("ix_registry_lookups_request_id"), "registry_lookups", ["request_id"])
    op.create_index("ix_registry_lookups_dossier", "registry_lookups", ["dossier_id"])
    op.create_table(
        "registry_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("document_code", sa.String(length=64), nullable=False),
        sa.Column("procedure_code", sa.String(length=64), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("retrieved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("officer", sa.String(length=64), nullable=True),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("trips_saved", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_registry_evidence_dossier_id_dossiers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_evidence")),
        sa.UniqueConstraint(
            "dossier_id", "document_code", name=op.f("uq_registry_evidence_dossier_id_document_code")
        ),
    )
    op.create_index(op.f("ix_registry_evidence_procedure_code"), "registry_evidence", ["procedure_code"])


def downgrade() -> None:
    op.drop_table("registry_evidence")
    op.drop_table("registry_lookups")
    op.drop_table("registry_api_keys")
    op.drop_table("registry_citizens")
    op.drop_table("registry_households")
