"""Signing in with lock-out after repeated failures (đăng nhập, khóa tạm thời)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from ..context import Context
from ..errors import InvalidInput, NotFound, PermissionDenied
from ..roles import Role
from ..store.account_tables import LoginThrottle
from ..store.models import User, UserRole
from ..views import UserView
from . import _user_view, authenticate, unit_of_work

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


def change_password(ctx: Context, user: UserView, current: str, new: str) -> None:
    """An officer changes their own password, proving the current one."""
    problems: dict[str, str] = {}
    if len(new or "") < 8:
        problems["new_password"] = "Mật khẩu mới cần ít nhất 8 ký tự."
    if authenticate(ctx, user.username, current or "") is None:
        problems["current_password"] = "Mật khẩu hiện tại không đúng."
    if problems:
        raise InvalidInput("Chưa đổi được mật khẩu.", fields=problems)
    with unit_of_work(ctx) as s:
        s.get(User, user.id).password_hash = generate_password_hash(new)


def update_user(
    ctx: Context,
    username: str,
    roles: Iterable[str],
    active: bool,
    actor: UserView,
    password: str | None = None,
) -> UserView:
    """An administrator sets an officer's roles, whether the account is active, and optionally a new
    password (which also lifts a sign-in lock). Administrators cannot lock themselves out."""
    if Role.ADMIN not in actor.roles:
        raise PermissionDenied("Chỉ quản trị viên được sửa tài khoản.")
    roles = sorted(set(roles))
    problems: dict[str, str] = {}
    unknown = [r for r in roles if r not in {x.value for x in Role}]
    if unknown:
        problems["roles"] = f"Vai trò không tồn tại: {', '.join(unknown)}."
    if password is not None and len(password) < 8:
        problems["password"] = "Mật khẩu cần ít nhất 8 ký tự."
    if username == actor.username and (not active or Role.ADMIN not in roles):
        problems["roles"] = "Không thể tự bỏ quyền quản trị hoặc tự khóa tài khoản của mình."
    if problems:
        raise InvalidInput("Chưa lưu được tài khoản.", fields=problems)
    with unit_of_work(ctx) as s:
        user = s.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound(f"Không có tài khoản '{username}'.")
        keep = [row for row in user.role_rows if row.role in roles]
        held = {row.role for row in keep}
        user.role_rows = keep + [UserRole(role=r) for r in roles if r not in held]
        user.active = active
        if password is not None:
            user.password_hash = generate_password_hash(password)
            throttle = s.get(LoginThrottle, username)
            if throttle is not None:
                s.delete(throttle)
        s.flush()
        return _user_view(user)
