"""Fixtures for the dossier lifecycle tests: a context on a manual clock, officers, and the marker
procedure of tests/fixtures/bpmn/lifecycle_markers.bpmn."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from engine import services
from engine.clock import VIETNAM, ManualClock
from engine.config import Settings
from motcua.bootstrap import bootstrap
from tests.conftest import AGENCY, fixture_file

PROCESS = "lifecycle_test"
#: Monday 3 November 2025, 09:00 in Hà Nội: no public holiday in the weeks the tests use
MONDAY_9 = datetime(2025, 11, 3, 9, 0, tzinfo=VIETNAM)


def vn(day: int, hour: int, minute: int = 0, month: int = 11, year: int = 2025) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VIETNAM)


class World:
    """A context, its clock and its officers, with helpers to drive a dossier."""

    def __init__(self, ctx, clock: ManualClock, officers: dict, processes_dir: Path) -> None:
        self.ctx, self.clock, self.officers, self.processes_dir = ctx, clock, officers, processes_dir

    def submit(self, channel: str = "counter", applicant: str = "Nguyễn Thị Ánh Tuyết", **data):
        return services.submit_dossier(
            self.ctx,
            PROCESS,
            AGENCY,
            {"applicant_name": applicant, **data},
            self.officers["intake"] if channel != "online" else None,
            channel=channel,
        )

    def task(self, dossier_id: int, role: str):
        tasks = [t for t in services.list_tasks(self.ctx, self.officers[role]) if t.dossier_id == dossier_id]
        assert len(tasks) == 1, tasks
        return tasks[0]

    def complete(self, dossier_id: int, role: str, **data):
        task = self.task(dossier_id, role)
        return services.complete_task(self.ctx, task.id, self.officers[role], data)

    def accepted(self, **data) -> int:
        dossier = self.submit(**data)
        self.complete(dossier.id, "intake", decision="accept")
        return dossier.id


def make_world(database_url: str, tmp_path: Path, start: datetime = MONDAY_9) -> World:
    processes_dir = tmp_path / "processes"
    processes_dir.mkdir(exist_ok=True)
    clock = ManualClock(start)
    settings = Settings(database_url=database_url, data_dir=tmp_path, processes_dir=processes_dir)
    ctx = bootstrap(settings, clock=clock)
    services.create_agency(ctx, AGENCY, "Trung tâm Phục vụ hành chính công phường Ba Đình")
    people = {
        "intake": ("tiepnhan", "intake_officer"),
        "appraiser": ("thamdinh", "appraiser"),
        "approver": ("pheduyet", "approver"),
        "clerk": ("vanthu", "clerk"),
        "supervisor": ("giamsat", "supervisor"),
    }
    officers = {
        key: services.create_user(ctx, username, f"Cán bộ {username}", AGENCY, [role])
        for key, (username, role) in people.items()
    }
    services.deploy(ctx, [fixture_file("lifecycle_markers.bpmn")])
    return World(ctx, clock, officers, processes_dir)


@pytest.fixture
def world(database_url, tmp_path):
    w = make_world(database_url, tmp_path)
    yield w
    w.ctx.db.dispose()
