"""Tables of the dossier lifecycle: code sequences, status and clock history, apology, fees and
payments, agency signing keys and issued documents.

The dossier's own columns (code, status, received_at, due_at, finished_at, returned_at) live in
:class:`engine.store.models.Dossier`; what only the lifecycle needs lives here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, JSONData, utcnow

BigId = BigInteger().with_variant(Integer(), "sqlite")


class DossierSequence(Base):
    """The last dossier number issued by an agency on a day (Vietnam date, ``YYMMDD``)."""

    __tablename__ = "dossier_sequences"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    day: Mapped[str] = mapped_column(String(6), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


class DossierLifecycle(Base):
    """What the legal lifecycle keeps per dossier besides the core columns."""

    __tablename__ = "dossier_lifecycles"

    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), primary_key=True)
    rule_set: Mapped[str | None] = mapped_column(String(32))
    limit_amount: Mapped[float | None] = mapped_column(Float)
    limit_unit: Mapped[str | None] = mapped_column(String(16))
    supplement_policy: Mapped[str] = mapped_column(String(8), default="restart")
    # while the clock is paused (supplement under the pause policy, or a fee): since when, what was left
    clock_paused_at: Mapped[datetime | None] = mapped_column()
    clock_remaining_hours: Mapped[float | None] = mapped_column(Float)
    original_due_at: Mapped[datetime | None] = mapped_column()
    apology_count: Mapped[int] = mapped_column(SmallInteger, default=0)
    apology_at: Mapped[datetime | None] = mapped_column()
    apology_reason: Mapped[str | None] = mapped_column(Text)
    reasons: Mapped[list[str] | None] = mapped_column(JSONData)  # refusal, rejection, stop, withdrawal
    requested_documents: Mapped[list[str] | None] = mapped_column(JSONData)
    closed_reason: Mapped[str | None] = mapped_column(Text)
    closed_by: Mapped[str | None] = mapped_column(String(64))
    return_channel: Mapped[str | None] = mapped_column(String(16))
    fee_amount_vnd: Mapped[int | None] = mapped_column(BigInteger)
    payment_status: Mapped[str] = mapped_column(String(16), default="none")  # none|unpaid|paid|exempt
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DossierStatusChange(Base):
    """Every change of the national status, with the marker or use case that caused it."""

    __tablename__ = "dossier_status_history"
    __table_args__ = (Index("ix_dossier_status_history_dossier", "dossier_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column()
    status: Mapped[int] = mapped_column(SmallInteger)
    previous: Mapped[int | None] = mapped_column(SmallInteger)
    cause: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(64))
    element: Mapped[str | None] = mapped_column(String(255))


class DossierClockChange(Base):
    """The appointment clock: start, pause, resume, restart and the apology's new date."""

    __tablename__ = "dossier_clock_history"
    __table_args__ = (Index("ix_dossier_clock_history_dossier", "dossier_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column()
    kind: Mapped[str] = mapped_column(String(16))  # start | pause | resume | restart | apology
    policy: Mapped[str | None] = mapped_column(String(16))
    due_before: Mapped[datetime | None] = mapped_column()
    due_after: Mapped[datetime | None] = mapped_column()
    remaining_hours: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)


class Payment(Base):
    """A fee payment (at the counter or through a gateway). Kept apart from the business status.

    ``settled_for`` holds the dossier id once the payment succeeded; its unique constraint makes a
    second successful payment for the same dossier impossible, whatever the race.
    """

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    method: Mapped[str] = mapped_column(String(16))  # counter | online
    gateway: Mapped[str | None] = mapped_column(String(32))
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | paid | failed
    settled_for: Mapped[int | None] = mapped_column(Integer, unique=True)
    gateway_transaction: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column()
    created_by: Mapped[str | None] = mapped_column(String(64))


class PaymentNotification(Base):
    """Every return or server-to-server notification a gateway sent, accepted or not (audit)."""

    __tablename__ = "payment_notifications"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime] = mapped_column(index=True)
    gateway: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(8))  # ipn | return
    reference: Mapped[str | None] = mapped_column(String(64), index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSONData)
    outcome: Mapped[str] = mapped_column(String(16))  # accepted | rejected | failed
    reason: Mapped[str | None] = mapped_column(Text)


class AgencyKey(Base):
    """An agency's signing key (encrypted with the installation's secret) and its certificate."""

    __tablename__ = "agency_keys"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True)
    key_pem: Mapped[bytes] = mapped_column(LargeBinary)
    certificate_pem: Mapped[bytes] = mapped_column(LargeBinary)
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IssuedDocument(Base):
    """A document issued for a dossier: the signed result, with the token of its verification page."""

    __tablename__ = "issued_documents"
    __table_args__ = (UniqueConstraint("token"), Index("ix_issued_documents_dossier", "dossier_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    token: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    signed: Mapped[bool] = mapped_column(Boolean, default=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
