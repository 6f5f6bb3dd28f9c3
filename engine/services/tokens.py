"""API tokens (mã truy cập API): create, list, revoke, and find the officer a bearer secret stands for.

A token acts as its officer: the officer's roles and agency apply to everything done with it. Only
the SHA-256 of the random secret is stored, so a stolen database does not yield usable tokens; the
secret is shown once, at creation.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from ..context import Context
from ..errors import InvalidInput, NotFound
from ..store.models import Agency, User, UserRole
from ..store.token_tables import ApiToken
from ..views import UserView, View
from . import _user_by_name, unit_of_work

SECRET_PREFIX = "mct_"
# Recording every use would turn each API read into a write; once a minute is enough to see
# which tokens are alive.
LAST_USED_GRANULARITY = timedelta(minutes=1)


@dataclass(frozen=True)
class TokenView(View):
    id: int
    username: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class NewToken:
    """A token just created, with its secret (shown once, never stored)."""

    token: TokenView
    secret: str


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(ctx: Context, username: str, name: str | None = None) -> NewToken:
    name = (name or "").strip() or "api"
    if len(name) > 120 or "\x00" in name:
        raise InvalidInput(
            "Tên mã truy cập không hợp lệ. / The token name is invalid.",
            fields={"name": "at most 120 characters, no NUL"},
        )
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    with unit_of_work(ctx) as s:
        user = _user_by_name(s, username)
        if not user.active:
            raise InvalidInput(
                f"Tài khoản '{username}' đã bị khóa. / The account '{username}' is disabled.",
                fields={"user": "disabled"},
            )
        row = ApiToken(
            user_id=user.id,
            name=name,
            token_hash=hash_secret(secret),
            prefix=secret[: len(SECRET_PREFIX) + 6],
            created_at=ctx.now(),
        )
        s.add(row)
        s.flush()
        return NewToken(_token_view(row, user.username), secret)


def list_tokens(ctx: Context, username: str | None = None) -> list[TokenView]:
    with ctx.db.read() as s:
        query = select(ApiToken, User.username).join(User, User.id == ApiToken.user_id).order_by(ApiToken.id)
        if username:
            query = query.where(User.id == _user_by_name(s, username).id)
        return [_token_view(t, name) for t, name in s.execute(query)]


def revoke_token(ctx: Context, token_id: int) -> TokenView:
    """Revoke a token for good; revoking it again changes nothing."""
    with unit_of_work(ctx) as s:
        row = s.execute(
            select(ApiToken, User.username)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.id == token_id)
        ).first()
        if row is None:
            raise NotFound(f"Không có mã truy cập {token_id}. / There is no API token {token_id}.")
        token, username = row
        if token.revoked_at is None:
            token.revoked_at = ctx.now()
            s.flush()
        return _token_view(token, username)


def authenticate_token(ctx: Context, secret: str | None) -> UserView | None:
    """The officer a bearer secret stands for, or None when it is unknown, revoked or the account is
    disabled."""
    if not secret or not secret.startswith(SECRET_PREFIX) or len(secret) > 200:
        return None
    digest = hash_secret(secret)
    now = ctx.now()
    with ctx.db.read() as s:
        # plain columns, not entities: this runs on every API request
        row = s.execute(
            select(
                ApiToken.id,
                ApiToken.last_used_at,
                User.id,
                User.username,
                User.full_name,
                User.agency_id,
                Agency.code,
            )
            .join(User, User.id == ApiToken.user_id)
            .join(Agency, Agency.id == User.agency_id)
            .where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None), User.active.is_(True))
        ).first()
        if row is None:
            return None
        token_id, last_used, user_id, username, full_name, agency_id, agency_code = row
        roles = s.scalars(select(UserRole.role).where(UserRole.user_id == user_id).order_by(UserRole.role))
        view = UserView(user_id, username, full_name, agency_id, agency_code, tuple(roles), True)
    if last_used is None or now - last_used >= LAST_USED_GRANULARITY:
        with ctx.db.transaction() as s:
            s.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
    return view


def _token_view(t: ApiToken, username: str) -> TokenView:
    return TokenView(t.id, username, t.name, t.prefix, t.created_at, t.last_used_at, t.revoked_at)
