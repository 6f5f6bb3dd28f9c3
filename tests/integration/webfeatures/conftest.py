"""Fixtures of the web feature pages (analyst, on-time dashboard, calendar admin): the app on a real
database with one officer per role, a signed-in client per officer, CSRF switched ON."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from engine import services
from engine.config import PROJECT_ROOT
from tests.conftest import AGENCY, OTHER_AGENCY
from tests.webui_support import OFFICERS, PASSWORD, five_stage_with_forms
from webui import create_app

CATALOG = PROJECT_ROOT / "processes"


@pytest.fixture
def web_ctx(make_context, database_url, tmp_path):
    """A context whose catalog holds one real procedure (birth registration, both variants)."""
    processes = tmp_path / "processes"
    shutil.copytree(CATALOG / "birth_registration", processes / "birth_registration")
    ctx = make_context(database_url)
    ctx.settings = replace(ctx.settings, processes_dir=processes)
    seed(ctx)
    return ctx


#: The officers these pages concern (signing in hashes passwords: fewer users, a faster suite).
USERS = ("tiepnhan", "giamsat", "phantich", "quantri")


def seed(ctx) -> None:
    services.create_agency(ctx, AGENCY, "Trung tâm Phục vụ hành chính công phường Ba Đình")
    services.create_agency(ctx, OTHER_AGENCY, "Trung tâm Phục vụ hành chính công phường Hoàn Kiếm")
    for name in USERS:
        full, agency, roles = OFFICERS[name]
        services.create_user(ctx, name, full, agency, roles, PASSWORD)
    services.deploy(ctx, [five_stage_with_forms()])


@pytest.fixture
def app(web_ctx):
    app = create_app(web_ctx)
    app.config.update(TESTING=True, SESSION_COOKIE_SECURE=False)
    return app


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


class Officer:
    """A signed-in test client, with the CSRF token of its session at hand."""

    def __init__(self, app, username: str):
        self.client = app.test_client()
        page = self.client.get("/login").get_data(as_text=True)
        response = self.client.post(
            "/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf_of(page)}
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        self.token = csrf_of(self.client.get("/login").get_data(as_text=True))

    def get(self, url: str, **kw):
        return self.client.get(url, **kw)

    def post(self, url: str, data: dict | None = None, csrf: bool = True, **kw):
        data = dict(data or {})
        if csrf:
            data["csrf_token"] = self.token
        return self.client.post(url, data=data, **kw)


@pytest.fixture
def signed_in(app):
    """``signed_in("phantich")`` is a client signed in as that officer (see tests.webui_support)."""
    return lambda username: Officer(app, username)


def text(response) -> str:
    return response.get_data(as_text=True)


__all__ = ["CATALOG", "Path", "text"]
