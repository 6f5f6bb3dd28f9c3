"""Browser tests: a real motcua server on a loopback port (SQLite) and the system Chromium driven by
Playwright. Chromium is the Debian package (/usr/bin/chromium); browsers are never downloaded."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from engine.config import Settings
from motcua.bootstrap import bootstrap
from tests import webui_support
from tests.conftest import service_unavailable
from tests.webui_support import FORMS_DIR, PASSWORD
from webui import create_app

# Shared fixtures: a seeded SQLite template, copied for each test.
seeded_sqlite_template = webui_support.seeded_sqlite_template
seeded_sqlite_url = webui_support.seeded_sqlite_url

CHROMIUM = Path(os.environ.get("MOTCUA_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    """Chromium for one test module: Playwright's sync driver keeps an event loop running in this
    thread while it is open, which code under test that runs its own loop must not meet."""
    if not CHROMIUM.exists():
        service_unavailable(f"Chromium at {CHROMIUM}", "not installed; apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def live_server(tmp_path, seeded_sqlite_url) -> Iterator[str]:
    """The web application served by werkzeug in a thread; yields its base URL."""
    settings = Settings(
        database_url=seeded_sqlite_url,
        data_dir=tmp_path,
        processes_dir=tmp_path / "no-processes",
        forms_dir=FORMS_DIR,
        extra={"MOTCUA_INSECURE_COOKIES": "1"},
    )
    ctx = bootstrap(settings)
    server = make_server("127.0.0.1", 0, create_app(ctx), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        ctx.db.dispose()


@pytest.fixture
def sign_in(browser, live_server):
    """Opens a fresh browser context for an officer and signs them in; returns the page."""
    contexts = []

    def open_as(username: str):
        context = browser.new_context(locale="vi-VN", viewport={"width": 1360, "height": 900})
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server}/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click(".login button[type=submit]")
        page.wait_for_load_state()
        return page

    yield open_as
    for context in contexts:
        context.close()
