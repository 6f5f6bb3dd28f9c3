"""SQLAlchemy 2 models: the database is the source of truth.

A dossier's workflow state lives in ``workflow_states`` (without its spec, with a version counter for
optimistic concurrency). Everything a screen or report asks about is read from projections kept in
step with it in the same transaction: ``human_tasks``, ``timers`` and the append-only ``events`` log.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONData = JSON().with_variant(JSONB(), "postgresql")
BigId = BigInteger().with_variant(Integer(), "sqlite")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSONData, uuid.UUID: Uuid()}


class Agency(Base):
    """A receiving agency: a commune or provincial public administration service centre."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str | None] = mapped_column(String(255))
    level: Mapped[str] = mapped_column(String(32), default="commune")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(255))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    agency: Mapped[Agency] = relationship(lazy="joined")
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.role"
    )

    @property
    def roles(self) -> list[str]:
        return [row.role for row in self.role_rows]


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)


class ProcessDefinition(Base):
    """A process key (the BPMN process id) with its deployed versions."""

    __tablename__ = "process_definitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[ProcessVersion]] = relationship(
        back_populates="definition", order_by="ProcessVersion.version"
    )


class ProcessVersion(Base):
    """One deployment of a process, identified by the hash of its files' content."""

    __tablename__ = "process_versions"
    __table_args__ = (
        UniqueConstraint("definition_id", "version"),
        UniqueConstraint("definition_id", "content_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(255))
    deployed_at: Mapped[datetime] = mapped_column(default=utcnow)
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSONData, default=list)

    definition: Mapped[ProcessDefinition] = relationship(back_populates="versions", lazy="joined")
    files: Mapped[list[ProcessFile]] = relationship(cascade="all, delete-orphan", order_by="ProcessFile.id")


class ProcessFile(Base):
    __tablename__ = "process_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))  # bpmn | dmn | form
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class Dossier(Base):
    """An application (hồ sơ) running on one process version."""

    __tablename__ = "dossiers"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(String(16), default="counter")
    applicant_name: Mapped[str | None] = mapped_column(String(255))
    run_state: Mapped[str] = mapped_column(String(16), default="running")  # running|completed|error|cancelled
    error_message: Mapped[str | None] = mapped_column(Text)
    error_element: Mapped[str | None] = mapped_column(String(255))
    submitted_data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)  # last change of run_state or error
    completed_at: Mapped[datetime | None] = mapped_column()
    # The legal lifecycle (set by engine.dossiers): the dossier code (mã hồ sơ) issued at acceptance,
    # the national status 1-10, reception time, the appointment date (ngày hẹn trả), when the result
    # was ready (status 9) and when it went back to the applicant (status 10).
    code: Mapped[str | None] = mapped_column(String(40), unique=True)
    status: Mapped[int | None] = mapped_column(SmallInteger, index=True)
    procedure_code: Mapped[str | None] = mapped_column(String(64), index=True)
    received_at: Mapped[datetime | None] = mapped_column(index=True)
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    finished_at: Mapped[datetime | None] = mapped_column()
    returned_at: Mapped[datetime | None] = mapped_column()

    process_version: Mapped[ProcessVersion] = relationship(lazy="joined")
    agency: Mapped[Agency] = relationship(lazy="joined")


class WorkflowState(Base):
    """The serialized task tree of a dossier; ``version`` guards against lost updates."""

    __tablename__ = "workflow_states"

    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    format: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __mapper_args__ = {"version_id_col": version}


class HumanTask(Base):
    """An open or finished user task, as inboxes and reports see it."""

    __tablename__ = "human_tasks"
    __table_args__ = (
        Index("ix_human_tasks_inbox", "agency_id", "state", "role"),
        Index("ix_human_tasks_assignee", "assignee_id", "state"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"))
    bpmn_id: Mapped[str] = mapped_column(String(255))
    label: Mapped[str] = mapped_column(String(255))
    role: Mapped[str | None] = mapped_column(String(64))
    stage: Mapped[str | None] = mapped_column(String(16))
    form: Mapped[str | None] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16), default="open")  # open | completed | cancelled
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the task's input, for its form
    row_version: Mapped[int] = mapped_column(Integer, nullable=False)

    dossier: Mapped[Dossier] = relationship(lazy="raise")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])

    __mapper_args__ = {"version_id_col": row_version}


class Timer(Base):
    """A pending timer: a BPMN timer event or an SLA timer. The sweep fires those that are due."""

    __tablename__ = "timers"
    __table_args__ = (
        Index("ix_timers_due", "state", "due_at"),
        UniqueConstraint("dossier_id", "task_id", "kind", name="uq_timers_dossier_task_kind"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[uuid.UUID | None] = mapped_column()
    bpmn_id: Mapped[str | None] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32), default="bpmn")
    label: Mapped[str | None] = mapped_column(String(255))
    due_at: Mapped[datetime] = mapped_column()
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | fired | cancelled
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    fired_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class Event(Base):
    """The append-only event log: one row per step of a dossier. Never updated or deleted."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_dossier", "dossier_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"))
    at: Mapped[datetime] = mapped_column(index=True)
    activity: Mapped[str] = mapped_column(String(255))
    activity_name: Mapped[str | None] = mapped_column(String(255))
    element_type: Mapped[str | None] = mapped_column(String(64))
    lifecycle: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str | None] = mapped_column(String(64))
    task_id: Mapped[uuid.UUID | None] = mapped_column()
    role: Mapped[str | None] = mapped_column(String(64))
    stage: Mapped[str | None] = mapped_column(String(16))
    process_id: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONData)
