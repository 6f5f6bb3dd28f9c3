"""Shared fixtures: real databases (SQLite files and a throw-away PostgreSQL database), contexts
wired exactly as production wires them, and the demo officers."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from engine import services
from engine.bpmn.validation import SourceFile
from engine.config import Settings
from engine.context import Context
from engine.store.db import Database
from engine.store.migrate import upgrade
from motcua.bootstrap import bootstrap

FIXTURES = Path(__file__).parent / "fixtures"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
POSTGRES_URL = os.environ.get("MOTCUA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("MOTCUA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

AGENCY = "000.10.01.H26"
OTHER_AGENCY = "000.10.02.H26"


def service_unavailable(what: str, reason: str) -> None:
    """Under CI a missing service is a failure; on a developer machine the test is skipped, saying why."""
    message = f"{what} is not reachable ({reason})"
    if IN_CI:
        pytest.fail(f"{message}; CI=true requires it", pytrace=False)
    pytest.skip(f"{message}; start it to run this test")


def fixture_file(name: str) -> SourceFile:
    path = FIXTURES / "bpmn" / name
    return SourceFile(path.name, path.read_bytes())


# --------------------------------------------------------------------------- databases


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once keeps the suite fast)."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db.engine)
    db.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated once, dropped at the end."""
    admin_url = make_url(POSTGRES_URL)
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure to connect means the service is missing
        yield f"unavailable: {type(exc).__name__}: {str(exc).splitlines()[0]}"
        return
    name = f"motcua_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    db = Database(url)
    upgrade(db.engine)
    db.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _truncate_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = (
            conn.execute(
                text(
                    "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables "
                    "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND tablename <> 'alembic_version'"
                )
            )
            .scalars()
            .all()
        )
        if tables:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def sqlite_url(sqlite_template, tmp_path) -> str:
    path = tmp_path / "motcua.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def postgres_url(postgres_database) -> str:
    if postgres_database.startswith("unavailable"):
        service_unavailable(f"PostgreSQL at {POSTGRES_URL}", postgres_database.removeprefix("unavailable: "))
    _truncate_postgres(postgres_database)
    return postgres_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request) -> str:
    """Runs the test once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")


@pytest.fixture(scope="session")
def redis_server() -> str:
    """The Redis URL if a server answers there, else why not."""
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
        client.close()
    except Exception as exc:  # noqa: BLE001 - any failure to connect means the service is missing
        return f"unavailable: {type(exc).__name__}: {exc}"
    return REDIS_URL


@pytest.fixture
def redis_url(redis_server) -> str:
    """A reachable Redis (MOTCUA_TEST_REDIS_URL). Tests must namespace their keys and queues (see
    ``redis_namespace``) so that several test runs can share the server."""
    if redis_server.startswith("unavailable"):
        service_unavailable(f"Redis at {REDIS_URL}", redis_server.removeprefix("unavailable: "))
    return redis_server


@pytest.fixture
def redis_namespace() -> str:
    return f"motcua-test-{uuid.uuid4().hex[:12]}"


# --------------------------------------------------------------------------- contexts


@pytest.fixture
def make_context(tmp_path) -> Iterator[Callable[..., Context]]:
    """Builds contexts the way production does; each one is like a fresh process (empty caches)."""
    made: list[Context] = []

    def make(url: str, **overrides) -> Context:
        overrides.setdefault("processes_dir", tmp_path / "no-processes")
        settings = Settings(database_url=url, data_dir=tmp_path, **overrides)
        ctx = bootstrap(settings)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.db.dispose()


@pytest.fixture
def ctx(make_context, database_url) -> Context:
    return make_context(database_url)


@pytest.fixture
def officers(ctx) -> dict:
    """Two agencies; one officer per stage role in the first, an intake officer in the second."""
    services.create_agency(ctx, AGENCY, "Trung tâm Phục vụ hành chính công phường Ba Đình")
    services.create_agency(ctx, OTHER_AGENCY, "Trung tâm Phục vụ hành chính công phường Hoàn Kiếm")
    people = {
        "intake": ("tiepnhan", "intake_officer", AGENCY),
        "appraiser": ("thamdinh", "appraiser", AGENCY),
        "approver": ("pheduyet", "approver", AGENCY),
        "clerk": ("vanthu", "clerk", AGENCY),
        "supervisor": ("giamsat", "supervisor", AGENCY),
        "designer": ("thietke", "designer", AGENCY),
        "other_intake": ("hoankiem", "intake_officer", OTHER_AGENCY),
    }
    return {
        key: services.create_user(ctx, username, username.title(), agency, [role])
        for key, (username, role, agency) in people.items()
    }
