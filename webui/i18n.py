"""Languages: Vietnamese by default, English from the message catalog; times in Asia/Ho_Chi_Minh."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, session
from flask_babel import Babel, get_locale

from engine.roles import ROLE_LABELS, STAGE_LABELS, Role, Stage

LANGUAGES = ("vi", "en")
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def select_locale() -> str:
    lang = session.get("lang")
    return lang if lang in LANGUAGES else "vi"


def lang() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "vi"


def role_label(role: str | None) -> str:
    if not role:
        return "—"
    try:
        vi, en = ROLE_LABELS[Role(role)]
    except ValueError:
        return role
    return en if lang() == "en" else vi


def stage_label(stage: str | None) -> str:
    if not stage:
        return "—"
    try:
        vi, en = STAGE_LABELS[Stage(stage)]
    except ValueError:
        return stage
    return en if lang() == "en" else vi


def local_time(value: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    if value is None:
        return "—"
    return value.astimezone(LOCAL_TZ).strftime(fmt)


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "vi")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Ho_Chi_Minh")
    Babel(app, locale_selector=select_locale)
    app.jinja_env.filters.update(localtime=local_time, role_label=role_label, stage_label=stage_label)
    app.jinja_env.globals.update(role_label=role_label, stage_label=stage_label, lang=lang)
