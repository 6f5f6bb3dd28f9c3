"""Signing in with lock-out after repeated failures (đăng nhập, khóa tạm thời)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ..context import Context
from ..errors import PermissionDenied
from ..store.account_tables import LoginThrottle
from ..views import UserView
from . import authenticate, unit_of_work

MAX_FAILURES = 5
LOCK_MINUTES = 15


class AccountLocked(PermissionDenied):
    """Too many failed sign-ins in a row; ``details['until']`` says when the lock ends."""

    code = "account_locked"


def sign_in(ctx: Context, username: str, password: str) -> UserView | None:
    """The user when the password is right; None when it is not (the failure is counted).

    After MAX_FAILURES consecutive failures the username is locked for LOCK_MINUTES, and even the
    right password is refused (AccountLocked) until the lock ends."""
    username = (username or "").strip()[:64]
    now = ctx.now()
    with unit_of_work(ctx) as s:
        row = s.scalar(select(LoginThrottle).where(LoginThrottle.username == username))
        if row is not None and row.locked_until is not None and row.locked_until > now:
            minutes = max(1, int((row.locked_until - now).total_seconds() // 60) + 1)
            raise AccountLocked(
                f"Tài khoản tạm khóa do đăng nhập sai nhiều lần; thử lại sau {minutes} phút. "
                f"(Account locked after repeated failures; try again in {minutes} min.)",
                until=row.locked_until,
            )
    user = authenticate(ctx, username, password) if username else None
    with unit_of_work(ctx) as s:
        row = s.scalar(select(LoginThrottle).where(LoginThrottle.username == username))
        if user is not None:
            if row is not None:
                s.delete(row)
            return user
        if row is None:
            row = LoginThrottle(username=username, failures=0)
            s.add(row)
        if row.locked_until is not None and row.locked_until <= now:
            row.failures, row.locked_until = 0, None
        row.failures += 1
        row.last_failure_at = now
        if row.failures >= MAX_FAILURES:
            row.locked_until = now + timedelta(minutes=LOCK_MINUTES)
    return None
