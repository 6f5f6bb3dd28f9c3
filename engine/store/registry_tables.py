"""Tables of the population registry (Cơ sở dữ liệu quốc gia về dân cư) and of its look-ups.

The registry tables carry a ``registry_`` prefix rather than a PostgreSQL schema so that the same
models run on SQLite (the embedded default) and PostgreSQL. Fields follow the national population
database: one row per person keyed by the 12-digit personal ID number (số định danh cá nhân),
households (hộ gia đình) with a head and each member's relationship to the head, parents and spouse
by ID number, marital status, residences and date of death.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, BigId

MARITAL_STATUSES = ("single", "married", "divorced", "widowed")
RELATIONSHIPS = ("head", "spouse", "child", "parent", "grandchild", "sibling", "other")


class RegistryHousehold(Base):
    """A household (hộ gia đình) with its residence file number (số hồ sơ cư trú) and address."""

    __tablename__ = "registry_households"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    file_number: Mapped[str] = mapped_column(String(20), unique=True)
    head_id_number: Mapped[str | None] = mapped_column(String(12))
    province_code: Mapped[str] = mapped_column(String(3))
    address: Mapped[str] = mapped_column(String(255))


class RegistryCitizen(Base):
    """One person (công dân) as the national population database holds them."""

    __tablename__ = "registry_citizens"
    __table_args__ = (
        Index("ix_registry_citizens_household", "household_id"),
        Index("ix_registry_citizens_father", "father_id_number"),
        Index("ix_registry_citizens_mother", "mother_id_number"),
        # On SQLite one B-tree keyed by the ID number (no hidden rowid): look-ups and seeding are faster.
        {"sqlite_with_rowid": False},
    )

    id_number: Mapped[str] = mapped_column(String(12), primary_key=True)  # số định danh cá nhân
    full_name: Mapped[str] = mapped_column(String(120))
    other_names: Mapped[str | None] = mapped_column(String(120))
    date_of_birth: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))  # M | F
    place_of_birth: Mapped[str | None] = mapped_column(String(255))
    birth_registration_province: Mapped[str] = mapped_column(String(3))  # nơi đăng ký khai sinh
    home_town: Mapped[str | None] = mapped_column(String(255))  # quê quán
    ethnicity: Mapped[str] = mapped_column(String(32))
    religion: Mapped[str | None] = mapped_column(String(32))
    nationality: Mapped[str] = mapped_column(String(2), default="VN")
    blood_group: Mapped[str | None] = mapped_column(String(3))
    old_id_number: Mapped[str | None] = mapped_column(String(9))  # số CMND 9 số
    id_card_issued_on: Mapped[date | None] = mapped_column(Date)
    father_id_number: Mapped[str | None] = mapped_column(String(12))
    mother_id_number: Mapped[str | None] = mapped_column(String(12))
    spouse_id_number: Mapped[str | None] = mapped_column(String(12))
    representative_id_number: Mapped[str | None] = mapped_column(String(12))  # người đại diện hợp pháp
    marital_status: Mapped[str] = mapped_column(String(10))  # one of MARITAL_STATUSES
    household_id: Mapped[int | None] = mapped_column(BigId)
    relationship_to_head: Mapped[str | None] = mapped_column(String(12))  # one of RELATIONSHIPS
    permanent_residence: Mapped[str | None] = mapped_column(String(255))  # nơi thường trú
    temporary_residence: Mapped[str | None] = mapped_column(String(255))  # nơi tạm trú
    current_residence: Mapped[str | None] = mapped_column(String(255))  # nơi ở hiện tại
    temporarily_absent: Mapped[bool] = mapped_column(Boolean, default=False)  # tạm vắng
    date_of_death: Mapped[date | None] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(120))


class RegistryApiKey(Base):
    """An agency's key for the registry's HTTP API; only its SHA-256 is kept."""

    __tablename__ = "registry_api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_code: Mapped[str] = mapped_column(String(64), index=True)
    prefix: Mapped[str] = mapped_column(String(12))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class RegistryLookup(Base):
    """The audit of look-ups: who asked, for which agency, dossier and purpose, and what came back."""

    __tablename__ = "registry_lookups"
    __table_args__ = (Index("ix_registry_lookups_dossier", "dossier_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    request_id: Mapped[str] = mapped_column(String(64), index=True)
    officer: Mapped[str | None] = mapped_column(String(64))
    agency_code: Mapped[str | None] = mapped_column(String(64))
    dossier_id: Mapped[int | None] = mapped_column(Integer)
    procedure_code: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(40))  # the operation: lookup, marital_status, ...
    document: Mapped[str | None] = mapped_column(String(64))
    subject_id_number: Mapped[str | None] = mapped_column(String(12))
    channel: Mapped[str] = mapped_column(String(10))  # embedded | http | api
    outcome: Mapped[str] = mapped_column(String(16))  # match | mismatch | ... | refused
    reason: Mapped[str | None] = mapped_column(Text)


class RegistryEvidence(Base):
    """A required document satisfied by a look-up: "retrieved from the population registry"."""

    __tablename__ = "registry_evidence"
    __table_args__ = (UniqueConstraint("dossier_id", "document_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    document_code: Mapped[str] = mapped_column(String(64))
    procedure_code: Mapped[str | None] = mapped_column(String(64), index=True)
    request_id: Mapped[str] = mapped_column(String(64))
    retrieved_at: Mapped[datetime] = mapped_column()
    officer: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(40))
    trips_saved: Mapped[int] = mapped_column(Integer, default=1)
