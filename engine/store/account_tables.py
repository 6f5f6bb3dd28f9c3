"""Sign-in bookkeeping: failed attempts per username and the lock-out that follows too many."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models import Base


class LoginThrottle(Base):
    """Consecutive failed sign-ins of one username; ``locked_until`` is set after too many.

    Keyed by the username typed (known or not), so probing unknown names is throttled the same way
    and the answer does not reveal which names exist."""

    __tablename__ = "login_throttles"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column()
    locked_until: Mapped[datetime | None] = mapped_column()
