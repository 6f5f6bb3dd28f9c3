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


# The inbox query (open tasks of an agency, in due order) reads this index without sorting the
# agency's whole backlog: see docs/api.md, "Benchmark".
Index(
    "ix_human_tasks_inbox_due",
    HumanTask.__table__.c.agency_id,
    HumanTask.__table__.c.state,
    HumanTask.__table__.c.due_at,
)
