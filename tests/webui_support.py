"""Shared set-up for the web application's route and browser tests: the five-stage procedure with a
JSON Schema form on every task, officers who can sign in, and app contexts with those forms."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine import services
from engine.bpmn.validation import SourceFile
from engine.config import Settings
from engine.context import Context
from motcua.bootstrap import bootstrap
from tests.conftest import AGENCY, FIXTURES, OTHER_AGENCY

PASSWORD = "mat-khau-kiem-thu"
FORMS_DIR = FIXTURES / "forms"
TASK_FORMS = {
    "intake": "five_stage/intake.json",
    "appraisal": "five_stage/appraise.json",
    "approval": "five_stage/approve.json",
    "stamping": "five_stage/stamp.json",
    "return": "five_stage/return.json",
}

OFFICERS = {
    "tiepnhan": ("Nguyễn Thị Tiếp Nhận", AGENCY, ["intake_officer"]),
    "thamdinh": ("Trần Văn Thẩm Định", AGENCY, ["appraiser"]),
    "pheduyet": ("Lê Minh Phê Duyệt", AGENCY, ["approver"]),
    "vanthu": ("Phạm Thu Văn Thư", AGENCY, ["clerk"]),
    "giamsat": ("Hoàng Giám Sát", AGENCY, ["supervisor"]),
    "thietke": ("Đỗ Thiết Kế", AGENCY, ["designer"]),
    "phantich": ("Vũ Phân Tích", AGENCY, ["reform_analyst"]),
    "quantri": ("Quản Trị Viên", AGENCY, ["admin"]),
    "hoankiem": ("Bùi Hoàn Kiếm", OTHER_AGENCY, ["intake_officer", "appraiser"]),
}


def five_stage_with_forms() -> SourceFile:
    """tests/fixtures/bpmn/five_stage.bpmn with a ``form`` property on every user task."""
    path = FIXTURES / "bpmn" / "five_stage.bpmn"
    text = path.read_text(encoding="utf-8")
    for stage, form in TASK_FORMS.items():
        marker = f'<spiffworkflow:property name="stage" value="{stage}"/>'
        assert marker in text, stage
        text = text.replace(marker, f'{marker}<spiffworkflow:property name="form" value="{form}"/>')
    return SourceFile("five_stage.bpmn", text.encode("utf-8"))


def seed(ctx: Context) -> dict:
    """Two agencies, one officer per role (plus one in the other agency), the procedure deployed."""
    services.create_agency(ctx, AGENCY, "Trung tâm Phục vụ hành chính công phường Ba Đình")
    services.create_agency(ctx, OTHER_AGENCY, "Trung tâm Phục vụ hành chính công phường Hoàn Kiếm")
    users = {
        name: services.create_user(ctx, name, full, agency, roles, PASSWORD)
        for name, (full, agency, roles) in OFFICERS.items()
    }
    services.deploy(ctx, [five_stage_with_forms()])
    return users


def invalid_bpmn() -> SourceFile:
    """The five-stage model with an unknown stage on the approval task and an import in the script."""
    text = (FIXTURES / "bpmn" / "five_stage.bpmn").read_text(encoding="utf-8")
    text = text.replace('name="stage" value="approval"', 'name="stage" value="khong-ro"')
    text = text.replace("fee = 0 if exempt else 8000", "import os\nfee = 0 if exempt else 8000")
    return SourceFile("ho_so_loi.bpmn", text.encode("utf-8"))


def users_of(ctx: Context) -> dict:
    return {name: services.get_user(ctx, name) for name in OFFICERS}


@pytest.fixture(scope="session")
def seeded_sqlite_template(sqlite_template, tmp_path_factory) -> Path:
    """A migrated SQLite file with the officers and the procedure (hashing passwords is slow: once)."""
    path = tmp_path_factory.mktemp("webui") / "seeded.db"
    shutil.copy(sqlite_template, path)
    ctx = bootstrap(Settings(database_url=f"sqlite:///{path}", data_dir=path.parent))
    seed(ctx)
    ctx.db.dispose()
    return path


@pytest.fixture
def seeded_sqlite_url(seeded_sqlite_template, tmp_path) -> str:
    path = tmp_path / "web.db"
    shutil.copy(seeded_sqlite_template, path)
    return f"sqlite:///{path}"
