"""API tokens: bearer secrets that let an integration act as one officer.

Only the SHA-256 of a secret is stored; the secret itself is shown once, when it is created.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models import Base, HumanTask, utcnow


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the secret
    prefix: Mapped[str] = mapped_column(String(16))  # the secret's first characters, to recognise it
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


# The inbox (open tasks of an agency in due order, see engine.services.list_tasks) walks this index
# in order and stops after a page, instead of sorting the agency's whole backlog: docs/api.md.
_human_tasks = HumanTask.__table__
Index(
    "ix_human_tasks_open_due",
    _human_tasks.c.agency_id,
    _human_tasks.c.due_at,
    _human_tasks.c.created_at,
    postgresql_where=_human_tasks.c.state == "open",
    sqlite_where=_human_tasks.c.state == "open",
)
