"""A clock shared by processes, for tests and demonstrations only.

``MOTCUA_CLOCK_FILE`` names a file holding an ISO 8601 instant; every process started with it (the
web app, ``motcua worker`` subprocesses) reads "now" from that file, so a test moves time for all of
them at once by rewriting it. Without the variable the wall clock is used. Never set it in production.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from engine.clock import Clock, SystemClock, as_utc

CLOCK_FILE_ENV = "MOTCUA_CLOCK_FILE"


class FileClock:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def now(self) -> datetime:
        text = self.path.read_text(encoding="utf-8").strip()
        return as_utc(datetime.fromisoformat(text))

    def set(self, value: datetime) -> None:
        if value.tzinfo is None:
            raise ValueError("FileClock needs an aware datetime")
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(value.isoformat(), encoding="utf-8")
        os.replace(tmp, self.path)


def clock_from_env(env=None) -> Clock | None:
    """The shared test clock if ``MOTCUA_CLOCK_FILE`` is set, else None (the wall clock)."""
    env = os.environ if env is None else env
    path = env.get(CLOCK_FILE_ENV)
    return FileClock(path) if path else None


__all__ = ["FileClock", "SystemClock", "clock_from_env", "CLOCK_FILE_ENV"]
