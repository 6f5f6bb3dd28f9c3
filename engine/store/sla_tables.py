"""Tables of the SLA feature: the yearly calendar table and the alerts SLA timers raise."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, BigId, utcnow


class CalendarOverride(Base):
    """The government's yearly changes to working days: a day made a day off (a bridge day, the exact
    days of Tết) or a Saturday made a working day. It always wins over the default rule."""

    __tablename__ = "calendar_overrides"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # off | working
    note: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(64))


class SlaAlert(Base):
    """What an SLA timer raised: a reminder to the assignee, an apology alert or an overdue escalation
    to the agency's supervisors. One row per fired timer (``timer_id`` is unique): firing twice is
    impossible even if two workers race."""

    __tablename__ = "sla_alerts"
    __table_args__ = (Index("ix_sla_alerts_inbox", "agency_id", "recipient_role", "acknowledged_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    timer_id: Mapped[int | None] = mapped_column(BigId, unique=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    task_id: Mapped[uuid.UUID | None] = mapped_column()
    kind: Mapped[str] = mapped_column(
        String(32)
    )  # reminder | apology | overdue (a step) | late (the dossier)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    recipient_role: Mapped[str | None] = mapped_column(String(64))
    bpmn_id: Mapped[str | None] = mapped_column(String(255))
    label: Mapped[str | None] = mapped_column(String(255))
    message: Mapped[str] = mapped_column(Text, default="")
    due_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
